#include "guilogging.h"

namespace aimload {

Q_LOGGING_CATEGORY(lcGui, "aimload.gui", QtWarningMsg)

} // namespace aimload
