/* malloc_count: an LD_PRELOAD shim that counts heap allocations.
 *
 * Counts calls to malloc, calloc, realloc, posix_memalign, aligned_alloc,
 * memalign and valloc (glib's g_malloc and GStreamer's allocators end in
 * these), forwarding to glibc's own entry points.  At exit it appends one
 * line "allocs=N bytes=B" to $MALLOC_COUNT_OUT (or stderr).  A program may
 * read the running total through malloc_count_total() (found with dlsym), to
 * count what one stretch of code allocates.
 *
 *   LD_PRELOAD=bench/libmalloc_count.so MALLOC_COUNT_OUT=/tmp/n gst-launch-1.0 ...
 */
#define _GNU_SOURCE
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

extern void *__libc_malloc (size_t);
extern void *__libc_calloc (size_t, size_t);
extern void *__libc_realloc (void *, size_t);
extern void *__libc_memalign (size_t, size_t);
extern void *__libc_valloc (size_t);

static atomic_long n_allocs, n_bytes;

static inline void
count (size_t n)
{
  atomic_fetch_add_explicit (&n_allocs, 1, memory_order_relaxed);
  atomic_fetch_add_explicit (&n_bytes, (long) n, memory_order_relaxed);
}

long
malloc_count_total (void)
{
  return atomic_load (&n_allocs);
}

void *
malloc (size_t n)
{
  count (n);
  return __libc_malloc (n);
}

void *
calloc (size_t a, size_t b)
{
  count (a * b);
  return __libc_calloc (a, b);
}

void *
realloc (void *p, size_t n)
{
  count (n);
  return __libc_realloc (p, n);
}

int
posix_memalign (void **p, size_t align, size_t n)
{
  void *q;
  count (n);
  q = __libc_memalign (align, n);
  if (q == NULL)
    return 12;                  /* ENOMEM */
  *p = q;
  return 0;
}

void *
aligned_alloc (size_t align, size_t n)
{
  count (n);
  return __libc_memalign (align, n);
}

void *
memalign (size_t align, size_t n)
{
  count (n);
  return __libc_memalign (align, n);
}

void *
valloc (size_t n)
{
  count (n);
  return __libc_valloc (n);
}

__attribute__((destructor)) static void
report (void)
{
  char line[96];
  const char *path = getenv ("MALLOC_COUNT_OUT");
  int fd = path ? open (path, O_WRONLY | O_CREAT | O_APPEND, 0644) : 2;
  int len = snprintf (line, sizeof line, "allocs=%ld bytes=%ld\n",
      atomic_load (&n_allocs), atomic_load (&n_bytes));
  if (fd >= 0) {
    if (write (fd, line, (size_t) len) < 0) {
      /* nothing to do at exit */
    }
    if (path)
      close (fd);
  }
}
