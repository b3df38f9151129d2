/* PLACEHOLDER */
#include "config.h"
