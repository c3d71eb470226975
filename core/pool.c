/* The fork/join thread pool (vae_pool.h). */
#include "vae_pool.h"
#include "vae_private.h"

#include <glib.h>

/* With spin_us > 0, a thread waiting at a barrier or for the end of a run
 * polls this many pauses (some tens of microseconds) before it sleeps on a
 * condition: the denoiser's bands claim tiles in turn, so they arrive
 * within about a tile of each other, and a sleep and wake-up costs more
 * than that on a virtual machine. */
#define WAIT_PAUSES 2000

typedef struct {
  VaePool *pool;
  int index;
} PoolSlot;

struct VaePool {
  int n, spin_us;
  GThread *threads[VAE_MAX_THREADS];  /* [1..n-1]; the caller is index 0 */
  PoolSlot slots[VAE_MAX_THREADS];    /* each thread's argument */
  GMutex lock;
  GCond start_cond, done_cond, barrier_cond;
  int quit;                   /* under lock */
  /* the run, written before gen moves */
  VaePoolFn fn;
  void *data;
  gint gen;                   /* atomic; moves under lock at each run */
  gint pending;               /* atomic: threads still in the run */
  gint barrier_count;         /* atomic: indices at the barrier */
  gint barrier_gen;           /* atomic; moves under lock when all are */
};

static inline void
cpu_relax (void)
{
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause ();
#endif
}

/* Poll *v for up to WAIT_PAUSES pauses; whether it reached 0, or left old. */
static int
spin_until_zero (const gint *v)
{
  for (int i = 0; i < WAIT_PAUSES; i++) {
    if (g_atomic_int_get (v) == 0)
      return 1;
    cpu_relax ();
  }
  return 0;
}

static int
spin_while_equal (const gint *v, gint old)
{
  for (int i = 0; i < WAIT_PAUSES; i++) {
    if (g_atomic_int_get (v) != old)
      return 1;
    cpu_relax ();
  }
  return 0;
}

static gpointer
pool_worker (gpointer data)
{
  const PoolSlot *s = data;
  VaePool *p = s->pool;
  gint seen = 0;

  for (;;) {
    int quit;
    if (p->spin_us > 0) {
      gint64 end = g_get_monotonic_time () + p->spin_us;
      while (g_atomic_int_get (&p->gen) == seen
          && g_get_monotonic_time () < end) {
        for (int i = 0; i < 64; i++)
          cpu_relax ();
      }
    }
    g_mutex_lock (&p->lock);
    while (!p->quit && g_atomic_int_get (&p->gen) == seen)
      g_cond_wait (&p->start_cond, &p->lock);
    quit = p->quit;
    seen = g_atomic_int_get (&p->gen);
    g_mutex_unlock (&p->lock);
    if (quit)
      return NULL;

    p->fn (p->data, s->index);
    if (g_atomic_int_dec_and_test (&p->pending)) {
      g_mutex_lock (&p->lock);
      g_cond_signal (&p->done_cond);
      g_mutex_unlock (&p->lock);
    }
  }
}

void
vae_pool_free (VaePool *p)
{
  if (p == NULL)
    return;
  g_mutex_lock (&p->lock);
  p->quit = 1;
  g_cond_broadcast (&p->start_cond);
  g_mutex_unlock (&p->lock);
  for (int i = 1; i < p->n; i++)
    if (p->threads[i] != NULL)
      g_thread_join (p->threads[i]);
  g_mutex_clear (&p->lock);
  g_cond_clear (&p->start_cond);
  g_cond_clear (&p->done_cond);
  g_cond_clear (&p->barrier_cond);
  g_free (p);
}

VaePool *
vae_pool_new (const char *name, int n_threads, int spin_us, VaeError *err)
{
  VaePool *p;

  if (n_threads < 1 || n_threads > VAE_MAX_THREADS || spin_us < 0) {
    vae_set_error (err, VAE_ERR_ARG, "pool of %d threads (1..%d), spinning "
        "%d us", n_threads, VAE_MAX_THREADS, spin_us);
    return NULL;
  }
  p = g_new0 (VaePool, 1);
  g_mutex_init (&p->lock);
  g_cond_init (&p->start_cond);
  g_cond_init (&p->done_cond);
  g_cond_init (&p->barrier_cond);
  p->n = n_threads;
  p->spin_us = spin_us;
  for (int i = 1; i < n_threads; i++) {
    GError *gerr = NULL;
    p->slots[i].pool = p;
    p->slots[i].index = i;
    p->threads[i] = g_thread_try_new (name, pool_worker, &p->slots[i], &gerr);
    if (p->threads[i] == NULL) {
      vae_set_error (err, VAE_ERR_NOMEM, "cannot start thread %d of %d: %s",
          i, n_threads, gerr->message);
      g_error_free (gerr);
      vae_pool_free (p);        /* joins the ones started */
      return NULL;
    }
  }
  return p;
}

int
vae_pool_threads (const VaePool *p)
{
  return p->n;
}

void
vae_pool_run (VaePool *p, VaePoolFn fn, void *data)
{
  if (p->n == 1) {
    fn (data, 0);
    return;
  }
  p->fn = fn;
  p->data = data;
  g_atomic_int_set (&p->pending, p->n - 1);
  g_mutex_lock (&p->lock);
  g_atomic_int_inc (&p->gen);
  g_cond_broadcast (&p->start_cond);
  g_mutex_unlock (&p->lock);

  fn (data, 0);

  if (p->spin_us > 0 && spin_until_zero (&p->pending))
    return;
  g_mutex_lock (&p->lock);
  while (g_atomic_int_get (&p->pending) != 0)
    g_cond_wait (&p->done_cond, &p->lock);
  g_mutex_unlock (&p->lock);
}

/* The last index to arrive resets the count and moves the generation, under
 * the lock for the sleepers. */
void
vae_pool_barrier (VaePool *p)
{
  gint gen;

  if (p->n < 2)
    return;
  gen = g_atomic_int_get (&p->barrier_gen);
  if (g_atomic_int_add (&p->barrier_count, 1) == p->n - 1) {
    g_atomic_int_set (&p->barrier_count, 0);
    g_mutex_lock (&p->lock);
    g_atomic_int_inc (&p->barrier_gen);
    g_cond_broadcast (&p->barrier_cond);
    g_mutex_unlock (&p->lock);
    return;
  }
  if (p->spin_us > 0 && spin_while_equal (&p->barrier_gen, gen))
    return;
  g_mutex_lock (&p->lock);
  while (g_atomic_int_get (&p->barrier_gen) == gen)
    g_cond_wait (&p->barrier_cond, &p->lock);
  g_mutex_unlock (&p->lock);
}
