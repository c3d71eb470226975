/* CPU features and the VAE_GEMM* environment, read once: each ISA choice.
 *
 * Each family of products (float, bf16, int8) takes the best kernels the
 * CPU has.  The environment names a lesser one, a diagnostic that
 * compares kernels in the same build: VAE_GEMM (blas, avx2) for the float
 * kernels, and with them bf16 and the int8 kernels' AVX-512;
 * VAE_GEMM_BF16=avx512 keeps bf16 training on vdpbf16ps on a CPU with
 * AMX-BF16; VAE_GEMM_I8 (avx512: VNNI on a CPU with AMX; avx2: the AVX2
 * int8 kernel beside AVX-512 float kernels, as on a CPU without VNNI; c:
 * the plain C loop) for the int8 products. */
#include "gemm_impl.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

#ifdef GEMM_X86
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

typedef struct {
  VaeGemmIsa best;            /* the float kernels */
  int bf16;                   /* vdpbf16ps for the bf16 products */
  int bf16_amx;               /* AMX-BF16 for bf16 training */
  VaeGemmIsa i8;              /* the int8 kernels (BLAS: plain C) */
  int simd;                   /* the small loops' (vae_cpu_simd) */
} GemmCpu;

static int
env_is (const char *name, const char *value)
{
  const char *env = getenv (name);
  return env != NULL && strcmp (env, value) == 0;
}

static VaeGemmIsa
float_isa (void)
{
  VaeGemmIsa best = VAE_GEMM_BLAS;
#ifdef GEMM_X86
  if (__builtin_cpu_supports ("avx512f"))
    best = VAE_GEMM_AVX512;
  else if (__builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("fma"))
    best = VAE_GEMM_AVX2;
#endif
  if (env_is ("VAE_GEMM", "blas"))
    best = VAE_GEMM_BLAS;
  else if (env_is ("VAE_GEMM", "avx2") && best > VAE_GEMM_AVX2)
    best = VAE_GEMM_AVX2;
  return best;
}

#ifdef GEMM_X86
/* AMX on this CPU, and the kernel's leave to use it (Linux asks each
 * process to request the tiles' 8 KiB of state) */
static int
amx_usable (void)
{
#if defined(__linux__) && defined(SYS_arch_prctl)
  unsigned int a, b, c, d;
  if (!__get_cpuid_count (7, 0, &a, &b, &c, &d)
      || !(d & (1u << 24)) || !(d & (1u << 25)))
    return 0;
  /* ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA */
  return syscall (SYS_arch_prctl, 0x1023, 18) == 0;
#else
  return 0;
#endif
}

/* amx_usable, asked once and only where a family would take AMX: *amx is
 * −1 until then */
static int
amx_once (int *amx)
{
  if (*amx < 0)
    *amx = amx_usable ();
  return *amx;
}

static int
bf16_amx (int bf16, int *amx)
{
  unsigned int a, b, c, d;
  return bf16 && !env_is ("VAE_GEMM_BF16", "avx512")
      && __get_cpuid_count (7, 0, &a, &b, &c, &d) && (d & (1u << 22))
      && amx_once (amx);
}

static VaeGemmIsa
i8_isa (VaeGemmIsa best, int *amx)
{
  const char *env = getenv ("VAE_GEMM_I8");
  if (best == VAE_GEMM_AVX512 && !(__builtin_cpu_supports ("avx512vnni")
          && __builtin_cpu_supports ("avx512bw")
          && __builtin_cpu_supports ("avx512vl")))
    best = VAE_GEMM_AVX2;
  env = env != NULL ? env : "";
  if (strcmp (env, "c") == 0)
    best = VAE_GEMM_BLAS;
  else if (strcmp (env, "avx2") == 0 && best > VAE_GEMM_AVX2)
    best = VAE_GEMM_AVX2;
  else if (strcmp (env, "avx512") != 0 && best == VAE_GEMM_AVX512
      && amx_once (amx))
    best = VAE_GEMM_AMX;
  return best;
}
#endif

static void
probe (GemmCpu *cpu)
{
#ifdef GEMM_X86
  int amx = -1;
  __builtin_cpu_init ();
  cpu->best = float_isa ();
  cpu->bf16 = cpu->best == VAE_GEMM_AVX512
      && __builtin_cpu_supports ("avx512bf16")
      && __builtin_cpu_supports ("avx512bw")
      && __builtin_cpu_supports ("avx512vl");
  cpu->bf16_amx = bf16_amx (cpu->bf16, &amx);
  cpu->i8 = i8_isa (cpu->best, &amx);
  cpu->simd = cpu->best == VAE_GEMM_BLAS ? 0
      : __builtin_cpu_supports ("avx2") ? 2 : 1;
#else
  cpu->best = float_isa ();
  cpu->bf16 = 0;
  cpu->bf16_amx = 0;
  cpu->i8 = VAE_GEMM_BLAS;
  cpu->simd = 0;
#endif
}

static const GemmCpu *
gemm_cpu (void)
{
  static GemmCpu cpu;
  static gsize done = 0;
  if (g_once_init_enter (&done)) {
    probe (&cpu);
    g_once_init_leave (&done, 1);
  }
  return &cpu;
}

VaeGemmIsa
vae_gemm_best_isa (void)
{
  return gemm_cpu ()->best;
}

int
vae_gemm_bf16_available (void)
{
  return gemm_cpu ()->bf16;
}

int
vae_gemm_bf16_amx (void)
{
  return gemm_cpu ()->bf16_amx;
}

VaeGemmIsa
vae_gemm_i8_isa (void)
{
  return gemm_cpu ()->i8;
}

int
vae_cpu_simd (void)
{
  return gemm_cpu ()->simd;
}
