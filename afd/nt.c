/* ntdll imports, looked up once per process. */
#include "afd/nt.h"

#include <string.h>

#include "afdio.h"

afdio__nt_create_file_fn afdio__nt_create_file;
afdio__nt_device_io_control_file_fn afdio__nt_device_io_control_file;
afdio__nt_cancel_io_file_ex_fn afdio__nt_cancel_io_file_ex;
afdio__rtl_nt_status_to_dos_error_fn afdio__rtl_nt_status_to_dos_error;

static INIT_ONCE nt__once = INIT_ONCE_STATIC_INIT;
static int nt__result;

/* GetProcAddress returns a generic FARPROC; going through void * keeps the
 * cast to a specific function pointer type free of -Wcast-function-type. */
static void *nt__lookup(HMODULE ntdll, const char *name) {
  FARPROC proc = GetProcAddress(ntdll, name);
  void *p;
  memcpy(&p, &proc, sizeof p);
  return p;
}

static BOOL CALLBACK nt__load(PINIT_ONCE once, PVOID param, PVOID *context) {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  void *p[4] = {NULL, NULL, NULL, NULL};
  (void)once, (void)param, (void)context;
  if (ntdll != NULL) {
    p[0] = nt__lookup(ntdll, "NtCreateFile");
    p[1] = nt__lookup(ntdll, "NtDeviceIoControlFile");
    p[2] = nt__lookup(ntdll, "NtCancelIoFileEx");
    p[3] = nt__lookup(ntdll, "RtlNtStatusToDosError");
  }
  /* RtlNtStatusToDosError alone is enough for error translation, so it is
   * published even when the others are missing. */
  memcpy(&afdio__rtl_nt_status_to_dos_error, &p[3], sizeof p[3]);
  if (p[0] == NULL || p[1] == NULL || p[2] == NULL || p[3] == NULL) {
    nt__result = AFDIO_ENOSYS;
    return TRUE;
  }
  memcpy(&afdio__nt_create_file, &p[0], sizeof p[0]);
  memcpy(&afdio__nt_device_io_control_file, &p[1], sizeof p[1]);
  memcpy(&afdio__nt_cancel_io_file_ex, &p[2], sizeof p[2]);
  nt__result = 0;
  return TRUE;
}

int afdio__nt_global_init(void) {
  if (!InitOnceExecuteOnce(&nt__once, nt__load, NULL, NULL))
    return AFDIO_EIO;
  return nt__result;
}

unsigned long afdio__nt_status_to_win32(long status) {
  afdio__nt_global_init();
  if (afdio__rtl_nt_status_to_dos_error == NULL)
    return ERROR_MR_MID_NOT_FOUND;
  return afdio__rtl_nt_status_to_dos_error((afdio__ntstatus_t)status);
}
