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
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "workers.h"

#define WORKERS_MAX 64

struct workers {
        size_t n, next;
        bool open;              /* more items may come (workers_add) */
        pthread_cond_t more;
        pthread_mutex_t *lock;
        void (*fn)(void *data, size_t i);
        void *data;
        pthread_t threads[WORKERS_MAX];
        size_t started;
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
        for (;;) {
                if (w->next < w->n) {
                        size_t i = w->next++;

                        w->fn(w->data, i);
                } else if (w->open)
                        pthread_cond_wait(&w->more, w->lock);
                else
                        break;
        }
        pthread_mutex_unlock(w->lock);
        return NULL;
}

static void workers_start(struct workers *w, size_t want)
{
        if (want > WORKERS_MAX)
                want = WORKERS_MAX;
        while (w->started < want && want > 1 &&
               pthread_create(&w->threads[w->started], NULL, worker, w) == 0)
                w->started++;
}

static void workers_join(struct workers *w)
{
        for (size_t i = 0; i < w->started; i++)
                pthread_join(w->threads[i], NULL);
}

void workers_run(size_t n, unsigned jobs, pthread_mutex_t *lock, void (*fn)(void *data, size_t i),
                 void *data)
{
        struct workers w = { .n = n, .lock = lock, .fn = fn, .data = data };

        workers_start(&w, n < jobs ? n : jobs);
        if (w.started == 0) {
                worker(&w);
                return;
        }
        workers_join(&w);
}

int workers_open(struct workers **ret, unsigned jobs, pthread_mutex_t *lock,
                 void (*fn)(void *data, size_t i), void *data)
{
        struct workers *w = calloc(1, sizeof(*w));

        if (!w)
                return -ENOMEM;
        *w = (struct workers) { .open = true, .lock = lock, .fn = fn, .data = data };
        pthread_cond_init(&w->more, NULL);
        workers_start(w, jobs > 1 ? jobs : 2);
        if (w->started == 0) {
                pthread_cond_destroy(&w->more);
                free(w);
                return -EAGAIN;
        }
        *ret = w;
        return 0;
}

void workers_add(struct workers *w, size_t n)
{
        w->n += n;
        pthread_cond_broadcast(&w->more);
}

void workers_close(struct workers *w)
{
        pthread_mutex_lock(w->lock);
        w->open = false;
        pthread_cond_broadcast(&w->more);
        pthread_mutex_unlock(w->lock);
        workers_join(w);
        pthread_cond_destroy(&w->more);
        free(w);
}
