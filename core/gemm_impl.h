/* Private to the GEMM files: the kernels' shared types and inline parts. */
#ifndef VAE_GEMM_IMPL_H
#define VAE_GEMM_IMPL_H

#include "vae_private.h"

#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GEMM_X86 1
#include <immintrin.h>
#endif

#endif
