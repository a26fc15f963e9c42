/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rule 15's pool (workers.c): every item runs once, holding the caller's
 * lock but where it drops it to wait, and items fed while the workers run
 * (workers_open/add/close) are taken as they come.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "workers.h"

#define N_ITEMS 40

struct items {
        pthread_mutex_t *lock;
        int runs[N_ITEMS];
        int at_once, most_at_once;
        int held_by_other; /* an item ran while another held the lock */
};

static void pause_ms(int ms)
{
        struct timespec ts = { .tv_nsec = (long) ms * 1000000 };

        nanosleep(&ts, NULL);
}

/* An item that waits for "the kernel" with the lock dropped, as a group's write does. */
static void item(void *data, size_t i)
{
        struct items *it = data;

        if (pthread_mutex_trylock(it->lock) == 0) {
                it->held_by_other++; /* the worker should have held it */
                pthread_mutex_unlock(it->lock);
        }
        it->runs[i]++;
        it->at_once++;
        if (it->at_once > it->most_at_once)
                it->most_at_once = it->at_once;
        pthread_mutex_unlock(it->lock);
        pause_ms(20);
        pthread_mutex_lock(it->lock);
        it->at_once--;
}

/* Rule 15: every item once, holding the lock, and several waiting at once. */
static void test_rule15_run_all_once(void **state)
{
        pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
        struct items it = { .lock = &lock };

        workers_run(N_ITEMS, 8, &lock, item, &it);
        for (size_t i = 0; i < N_ITEMS; i++)
                assert_int_equal(it.runs[i], 1);
        assert_int_equal(it.held_by_other, 0);
        assert_int_equal(it.at_once, 0);
        assert_true(it.most_at_once > 1);
        assert_true(it.most_at_once <= 8);
}

/* Rule 15, fed: items added while others run are taken as they come, each once. */
static void test_rule15_fed_items(void **state)
{
        pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
        struct items it = { .lock = &lock };
        struct workers *w = NULL;
        int ran_before_last = 0;

        pthread_mutex_lock(&lock);
        assert_int_equal(workers_open(&w, 4, &lock, item, &it), 0);
        for (size_t fed = 0; fed < N_ITEMS; fed += 10) {
                workers_add(w, 10);
                /* The feeder waits (lock dropped) for what comes next. */
                pthread_mutex_unlock(&lock);
                pause_ms(30);
                pthread_mutex_lock(&lock);
        }
        for (size_t i = 0; i < N_ITEMS - 10; i++)
                ran_before_last += it.runs[i];
        pthread_mutex_unlock(&lock);
        workers_close(w);

        for (size_t i = 0; i < N_ITEMS; i++)
                assert_int_equal(it.runs[i], 1);
        assert_int_equal(it.held_by_other, 0);
        assert_true(ran_before_last > 0); /* they did not wait for the feed to end */
        assert_true(it.most_at_once <= 4);
}

/* Closing with nothing fed ends at once. */
static void test_rule15_fed_nothing(void **state)
{
        pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
        struct items it = { .lock = &lock };
        struct workers *w = NULL;

        assert_int_equal(workers_open(&w, 4, &lock, item, &it), 0);
        workers_close(w);
        for (size_t i = 0; i < N_ITEMS; i++)
                assert_int_equal(it.runs[i], 0);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_rule15_run_all_once),
                cmocka_unit_test(test_rule15_fed_items),
                cmocka_unit_test(test_rule15_fed_nothing),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
