/* repscope - MIT licence, see COPYING.
 *
 * t_data_modular.c: the modular-arithmetic dataset: labels, split sizes,
 * disjoint and complete splits, determinism, one-hot batches, bad configs.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "data/modular.h"
#include "tests/tap.h"

static int
check_labels(const rs_data_modular *m, char op, int p)
{
    for (int s = 0; s < 2; s++) {
        const int *pr = rs_data_modular_pairs(m, (enum rs_split)s);
        const int *lb = rs_data_modular_labels(m, (enum rs_split)s);
        for (int i = 0; i < rs_data_modular_count(m, (enum rs_split)s); i++) {
            int a = pr[2 * i], b = pr[2 * i + 1], y = lb[i];
            long want;
            switch (op) {
            case '+':
                want = (a + b) % p;
                break;
            case '-':
                want = ((a - b) % p + p) % p;
                break;
            case '*':
                want = (long)a * b % p;
                break;
            default: /* y is a / b iff y * b == a (mod p) */
                if ((long)y * b % p != a)
                    return 0;
                continue;
            }
            if (y != want)
                return 0;
        }
    }
    return 1;
}

int
main(void)
{
    struct rs_error err = {0};
    const char ops[] = "+-*/";
    for (int k = 0; k < 4; k++) {
        struct rs_data_modular_config c = {.p = 13, .op = ops[k],
                                           .train_frac = 0.4f, .seed = 1};
        rs_data_modular *m = rs_data_modular_new(&c, &err);
        int total = ops[k] == '/' ? 13 * 12 : 13 * 13;
        tap_ok(m != NULL, "p=13 op %c builds", ops[k]);
        if (m == NULL)
            continue;
        int ntr = rs_data_modular_count(m, RS_SPLIT_TRAIN);
        int nte = rs_data_modular_count(m, RS_SPLIT_TEST);
        tap_is_int(ntr + nte, total, "op %c: splits cover all pairs",
                   ops[k]);
        tap_is_int(ntr, (int)(0.4 * total + 0.5), "op %c: train share",
                   ops[k]);
        tap_ok(check_labels(m, ops[k], 13), "op %c: every label is right",
               ops[k]);
        /* Each pair appears exactly once across both splits. */
        char seen[13 * 13];
        memset(seen, 0, sizeof seen);
        int dup = 0;
        for (int s = 0; s < 2; s++) {
            const int *pr = rs_data_modular_pairs(m, (enum rs_split)s);
            for (int i = 0; i < rs_data_modular_count(m, (enum rs_split)s);
                 i++)
                dup += seen[pr[2 * i] * 13 + pr[2 * i + 1]]++ != 0;
        }
        tap_is_int(dup, 0, "op %c: splits are disjoint", ops[k]);
        rs_data_modular_free(m);
    }

    struct rs_data_modular_config c = {.p = 7, .op = '+', .train_frac = 0.5f,
                                       .seed = 42};
    rs_data_modular *m1 = rs_data_modular_new(&c, &err);
    rs_data_modular *m2 = rs_data_modular_new(&c, &err);
    c.seed = 43;
    rs_data_modular *m3 = rs_data_modular_new(&c, &err);
    size_t bytes = (size_t)rs_data_modular_count(m1, RS_SPLIT_TRAIN) * 2 *
                   sizeof(int);
    tap_ok(memcmp(rs_data_modular_pairs(m1, RS_SPLIT_TRAIN),
                  rs_data_modular_pairs(m2, RS_SPLIT_TRAIN), bytes) == 0,
           "same seed, same split");
    tap_ok(memcmp(rs_data_modular_pairs(m1, RS_SPLIT_TRAIN),
                  rs_data_modular_pairs(m3, RS_SPLIT_TRAIN), bytes) != 0,
           "another seed, another split");
    tap_is_int(rs_data_modular_input_dim(m1), 14, "input is 2p wide");

    int idx[2] = {3, 0};
    float x[2 * 14];
    int y[2];
    rs_data_modular_batch(m1, RS_SPLIT_TRAIN, idx, 2, x, y);
    const int *pr = rs_data_modular_pairs(m1, RS_SPLIT_TRAIN);
    int ok = 1;
    for (int i = 0; i < 2; i++) {
        float sum = 0;
        for (int j = 0; j < 14; j++)
            sum += x[i * 14 + j];
        ok &= sum == 2.0f && x[i * 14 + pr[2 * idx[i]]] == 1.0f &&
              x[i * 14 + 7 + pr[2 * idx[i] + 1]] == 1.0f &&
              y[i] == rs_data_modular_labels(m1, RS_SPLIT_TRAIN)[idx[i]];
    }
    tap_ok(ok, "batch: two hot entries per row, labels follow idx");
    rs_data_modular_free(m1);
    rs_data_modular_free(m2);
    rs_data_modular_free(m3);

    struct {
        struct rs_data_modular_config c;
        const char *msg;
    } bad[] = {
        {{1, '+', 0.5f, 0}, "p = 1 (must be 2..1000)"},
        {{12, '/', 0.5f, 0}, "p = 12 is not prime, so '/' is "
                             "undefined"},
        {{7, '%', 0.5f, 0}, "op '%' (must be one of + - * /)"},
        {{7, '+', 1.0f, 0}, "train_frac = 1 (must be in (0, 1))"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rs_data_modular *m = rs_data_modular_new(&bad[i].c, &err);
        tap_ok(m == NULL && err.code == RS_EINVAL, "bad config %zu rejected",
               i);
        tap_is_str(err.msg, bad[i].msg, "message names the field");
    }
    return tap_done();
}
