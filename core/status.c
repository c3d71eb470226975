/* Status codes, error messages and small memory helpers. */
#include "vae_private.h"

#include <stdio.h>
#include <stdlib.h>

const char *
vae_status_string (int status)
{
  switch (status) {
    case VAE_OK: return "ok";
    case VAE_ERR_ARG: return "invalid argument";
    case VAE_ERR_NOMEM: return "out of memory";
    case VAE_ERR_IO: return "I/O error";
    case VAE_ERR_TRUNCATED: return "file truncated";
    case VAE_ERR_HEADER: return "bad header length";
    case VAE_ERR_JSON: return "bad JSON header";
    case VAE_ERR_DTYPE: return "unsupported dtype";
    case VAE_ERR_SHAPE: return "tensor shape mismatch";
    case VAE_ERR_OFFSET: return "bad tensor offsets";
    case VAE_ERR_NONFINITE: return "non-finite weights";
    case VAE_ERR_DIMS: return "dimensions out of range";
    case VAE_ERR_CONFIG: return "bad model configuration";
    case VAE_ERR_MISSING: return "missing tensor";
    case VAE_ERR_KIND: return "wrong model kind";
    case VAE_ERR_DATA: return "bad data";
  }
  return "unknown error";
}

int
vae_set_error (VaeError *err, int status, const char *fmt, ...)
{
  if (err != NULL) {
    va_list ap;
    err->status = status;
    va_start (ap, fmt);
    vsnprintf (err->msg, sizeof err->msg, fmt, ap);
    va_end (ap);
  }
  return status;
}

void *
vae_aligned_alloc (size_t bytes)
{
  void *p = NULL;
  if (bytes == 0)
    bytes = VAE_ALIGN;
  if (posix_memalign (&p, VAE_ALIGN, bytes) != 0)
    return NULL;
  return p;
}

void
vae_aligned_free (void *p)
{
  free (p);
}

int
vae_mul_ok (size_t a, size_t b, size_t *out)
{
  if (a != 0 && b > SIZE_MAX / a)
    return 0;
  *out = a * b;
  return 1;
}
