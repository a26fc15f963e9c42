/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Internal: a bounded pool of threads taking items in order (workers.c, rule 15). */
#pragma once

#include <pthread.h>
#include <stddef.h>

/*
 * Runs fn(data, i) for every i in [0, n) on at most jobs threads, the
 * items taken in order, each call made holding *lock (fn drops it only
 * while it waits, so everything else it touches stays serialized). Returns
 * once every item ran. When no thread can start, runs them all here.
 */
void workers_run(size_t n, unsigned jobs, pthread_mutex_t *lock, void (*fn)(void *data, size_t i),
                 void *data);
