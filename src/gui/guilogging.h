#pragma once

#include <QLoggingCategory>

namespace aimload {

Q_DECLARE_LOGGING_CATEGORY(lcGui)

} // namespace aimload
