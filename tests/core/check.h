/* The core tests' one assertion: CHECK (cond, printf-style message) counts
 * a failure and goes on, so one run reports every broken check; main ends
 * with a non-zero status when `failures` is. */
#ifndef VAE_TEST_CHECK_H
#define VAE_TEST_CHECK_H

#include <stdio.h>

static int failures = 0;

#define CHECK(cond, ...) do { \
    if (!(cond)) { \
      failures++; \
      printf ("FAIL %s:%d: ", __FILE__, __LINE__); \
      printf (__VA_ARGS__); \
      printf ("\n"); \
    } \
  } while (0)

#endif
