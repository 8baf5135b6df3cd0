#include "report/reportlogging.h"

// Warnings by default: a report that cannot be written is worth seeing.
Q_LOGGING_CATEGORY(lcReport, "aimload.report", QtWarningMsg)
