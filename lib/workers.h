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

/*
 * The same for items that come while the workers run (sriov: a VF each,
 * as the kernel makes them): workers_open() starts jobs threads with no
 * item yet; workers_add(), called holding *lock (required), makes n more
 * items available, numbered on from the last; workers_close(), called
 * without it, returns once every item ran. Returns -EAGAIN when no thread
 * can start (the caller runs its items another way).
 */
struct workers;
int workers_open(struct workers **ret, unsigned jobs, pthread_mutex_t *lock,
                 void (*fn)(void *data, size_t i), void *data);
void workers_add(struct workers *w, size_t n);
void workers_close(struct workers *w);
