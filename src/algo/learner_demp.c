/* repscope - MIT licence, see COPYING.
 *
 * learner_demp.c: a learner's DemP hooks (algo/demp.h): the regulariser's
 * strength in the log. With a cdg_l2 anywhere down the objective's chain,
 * every train/ log (log_every) also gives "<name>/reg/lambda": lambda_t
 * of the last step taken. Worker thread only.
 */
#include "config.h"

#include "algo/learner.h"

#include <math.h>

#include "algo/learner_impl.h"

void
rs_learner_demp_log(rs_learner *l)
{
    if (l->log == NULL || l->steps < 1)
        return;
    char name[RS_NAME_MAX];
    double lambda = rs_objective_cdg_l2_lambda(l->obj, l->steps - 1);
    if (!isnan(lambda))
        l->log(l->log_ud, rs_learner_metric(l, name, "reg", "lambda", NULL),
               lambda);
}
