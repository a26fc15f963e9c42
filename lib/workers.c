/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rule 15's bounded pool: a few threads, each taking the next item under
 * the caller's lock. The items (an operation's IOMMU groups) spend their
 * time waiting for the kernel, and that is the only time they run at
 * once: the lock is dropped around those waits (a write's answer, a read,
 * a helper's fork) and nowhere else, so the journal, the context's
 * message and the report see one writer at a time. Reads alone (a
 * slot of their own each) run with no lock at all.
 */
#include "workers.h"

#define WORKERS_MAX 64

struct workers {
        size_t n, next;
        pthread_mutex_t *lock;
        void (*fn)(void *data, size_t i);
        void *data;
};

static void *worker(void *arg)
{
        struct workers *w = arg;

        if (!w->lock) {
                for (size_t i; (i = __atomic_fetch_add(&w->next, 1, __ATOMIC_RELAXED)) < w->n;)
                        w->fn(w->data, i);
                return NULL;
        }
        pthread_mutex_lock(w->lock);
        while (w->next < w->n) {
                size_t i = w->next++;

                w->fn(w->data, i);
        }
        pthread_mutex_unlock(w->lock);
        return NULL;
}

void workers_run(size_t n, unsigned jobs, pthread_mutex_t *lock, void (*fn)(void *data, size_t i),
                 void *data)
{
        struct workers w = { .n = n, .lock = lock, .fn = fn, .data = data };
        pthread_t threads[WORKERS_MAX];
        size_t want = n < jobs ? n : jobs, started = 0;

        if (want > WORKERS_MAX)
                want = WORKERS_MAX;
        while (started < want && want > 1 &&
               pthread_create(&threads[started], NULL, worker, &w) == 0)
                started++;
        if (started == 0) {
                worker(&w);
                return;
        }
        for (size_t i = 0; i < started; i++)
                pthread_join(threads[i], NULL);
}
