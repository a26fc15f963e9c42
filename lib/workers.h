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
 * Without a lock (NULL), fn runs with none: it may touch only item i's own
 * data (reads of sysfs into a slot of its own, judged by the caller after).
 */
/* Threads for reads alone (sysfs answers at once; they wait only on its round trips). */
#define READ_JOBS 16

void workers_run(size_t n, unsigned jobs, pthread_mutex_t *lock, void (*fn)(void *data, size_t i),
                 void *data);
