#include "web/weblogging.h"

// Warnings by default: refused control requests are worth seeing, rejected malformed
// requests from scanners are not.
Q_LOGGING_CATEGORY(lcWeb, "aimload.web", QtWarningMsg)
