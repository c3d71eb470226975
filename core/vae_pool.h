/* A fork/join pool of persistent threads, for the trainer's shards and the
 * denoiser element's bands.
 *
 * vae_pool_run (pool, fn, data) calls fn (data, i) once for each index i in
 * 0 .. n-1, index 0 on the calling thread and the others on the pool's
 * threads, and returns when every call has returned.  Inside fn,
 * vae_pool_barrier (pool) returns once every index has reached it, so a job
 * can run in phases.  The threads live from vae_pool_new to vae_pool_free:
 * a run creates no thread and allocates nothing.
 *
 *   static void
 *   work (void *data, int i)
 *   {
 *     Job *job = data;
 *     compute (job, i);                // phase 1, index i's share
 *     vae_pool_barrier (job->pool);    // all of phase 1 is done
 *     combine (job, i);                // phase 2
 *   }
 *
 *   VaeError err;
 *   VaePool *pool = vae_pool_new ("worker", 4, 0, &err);
 *   if (pool == NULL) { fprintf (stderr, "%s\n", err.msg); return 1; }
 *   job.pool = pool;
 *   vae_pool_run (pool, work, &job);   // work (&job, 0) .. work (&job, 3)
 *   vae_pool_free (pool);
 *
 * Every index must reach the same number of barriers in a run, or the run
 * never ends.  One thread at a time may call vae_pool_run; fn must not call
 * it. */
#ifndef VAE_POOL_H
#define VAE_POOL_H

#include "vae.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct VaePool VaePool;
typedef void (*VaePoolFn) (void *data, int index);

/* n_threads (1 .. VAE_MAX_THREADS) indices, n_threads - 1 of them on new
 * threads called name (a string that outlives the pool).  spin_us: how
 * long a thread waiting for the next run polls before it sleeps; with it,
 * waits at a barrier and for the end of a run also poll for a short while
 * first.  0 sleeps at once: right where runs are long or far apart.  NULL
 * with a status in err when a thread cannot be started. */
VaePool *vae_pool_new (const char *name, int n_threads, int spin_us,
    VaeError *err);
/* Ends and joins the threads; pool may be NULL.  Not during a run. */
void vae_pool_free (VaePool *pool);
int vae_pool_threads (const VaePool *pool);
void vae_pool_run (VaePool *pool, VaePoolFn fn, void *data);
/* From inside fn only. */
void vae_pool_barrier (VaePool *pool);

#ifdef __cplusplus
}
#endif
#endif /* VAE_POOL_H */
