#ifndef SWITCHYARD_SFU_WORKER_CLOCK_H_
#define SWITCHYARD_SFU_WORKER_CLOCK_H_
#include "transport/clock.h"
#endif
