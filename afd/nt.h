/* The few NT types, status codes and ntdll functions the AFD layer needs.
 * The functions are not in any import library MinGW links by default and
 * are undocumented or semi-documented, so they are looked up in ntdll.dll
 * once, at run time (as wepoll src/nt.c and smol-rs/polling src/iocp/afd.rs
 * do). Our own type names keep this header compatible with <winternl.h>. */
#ifndef AFDIO_AFD_NT_H
#define AFDIO_AFD_NT_H

#include <windows.h>

typedef LONG afdio__ntstatus_t;

#define AFDIO__NT_SUCCESS(status) ((afdio__ntstatus_t)(status) >= 0)
/* Severity "error" (0xC...): the NT rule that a request failing with such a
 * status queues no completion packet; success, informational and warning
 * statuses do queue one (AFD-NOTES, Wine). */
#define AFDIO__NT_ERROR(status) ((((ULONG)(status)) >> 30) == 3u)

/* Values from the Windows SDK's ntstatus.h. */
#define AFDIO__STATUS_SUCCESS ((afdio__ntstatus_t)0x00000000L)
#define AFDIO__STATUS_PENDING ((afdio__ntstatus_t)0x00000103L)
#define AFDIO__STATUS_INVALID_HANDLE ((afdio__ntstatus_t)0xC0000008L)
#define AFDIO__STATUS_OBJECT_TYPE_MISMATCH ((afdio__ntstatus_t)0xC0000024L)
#define AFDIO__STATUS_BAD_DEVICE_TYPE ((afdio__ntstatus_t)0xC00000CBL)
#define AFDIO__STATUS_CANCELLED ((afdio__ntstatus_t)0xC0000120L)
#define AFDIO__STATUS_NOT_FOUND ((afdio__ntstatus_t)0xC0000225L)

/* IO_STATUS_BLOCK: the status word shares storage with a pointer, so the
 * struct is two pointers wide on every architecture (ntdef.h layout). */
typedef struct afdio__iosb {
  union {
    afdio__ntstatus_t Status;
    PVOID Pointer;
  } u;
  ULONG_PTR Information;
} afdio__iosb_t;

/* The status word read with acquire ordering: the kernel (or, under Wine,
 * another thread's APC) writes the IOSB and then the poll's output buffer,
 * and a thread that sees the final status must also see that buffer
 * (matters on aarch64). */
static inline afdio__ntstatus_t afdio__iosb_status(const afdio__iosb_t *iosb) {
  return __atomic_load_n(&iosb->u.Status, __ATOMIC_ACQUIRE);
}

typedef struct afdio__unicode_string {
  USHORT Length;        /* in bytes, without a terminator */
  USHORT MaximumLength; /* in bytes */
  PWSTR Buffer;
} afdio__unicode_string_t;

typedef struct afdio__object_attributes {
  ULONG Length;
  HANDLE RootDirectory;
  afdio__unicode_string_t *ObjectName;
  ULONG Attributes;
  PVOID SecurityDescriptor;
  PVOID SecurityQualityOfService;
} afdio__object_attributes_t;

typedef VOID(NTAPI *afdio__io_apc_routine_t)(PVOID context,
                                             afdio__iosb_t *iosb,
                                             ULONG reserved);

typedef afdio__ntstatus_t(NTAPI *afdio__nt_create_file_fn)(
    HANDLE *file, ACCESS_MASK access, afdio__object_attributes_t *attributes,
    afdio__iosb_t *iosb, LARGE_INTEGER *allocation_size, ULONG file_attributes,
    ULONG share_access, ULONG create_disposition, ULONG create_options,
    PVOID ea_buffer, ULONG ea_length);

typedef afdio__ntstatus_t(NTAPI *afdio__nt_device_io_control_file_fn)(
    HANDLE file, HANDLE event, afdio__io_apc_routine_t apc_routine,
    PVOID apc_context, afdio__iosb_t *iosb, ULONG io_control_code,
    PVOID input, ULONG input_length, PVOID output, ULONG output_length);

typedef afdio__ntstatus_t(NTAPI *afdio__nt_cancel_io_file_ex_fn)(
    HANDLE file, afdio__iosb_t *request, afdio__iosb_t *cancel_iosb);

typedef ULONG(NTAPI *afdio__rtl_nt_status_to_dos_error_fn)(
    afdio__ntstatus_t status);

/* Set by afdio__nt_global_init(); NULL before it succeeds. */
extern afdio__nt_create_file_fn afdio__nt_create_file;
extern afdio__nt_device_io_control_file_fn afdio__nt_device_io_control_file;
extern afdio__nt_cancel_io_file_ex_fn afdio__nt_cancel_io_file_ex;
extern afdio__rtl_nt_status_to_dos_error_fn afdio__rtl_nt_status_to_dos_error;

/* Looks the ntdll functions up, once per process. Returns 0, or
 * AFDIO_ENOSYS when ntdll lacks one of them. Thread-safe, idempotent. */
int afdio__nt_global_init(void);

/* An NTSTATUS as a Win32 error code (ERROR_MR_MID_NOT_FOUND when ntdll
 * could not be loaded). */
unsigned long afdio__nt_status_to_win32(long status);

#endif
