#pragma once

#include <QVariant>

namespace aimload {

// Sort keys as the models' SortRole returns them: numbers stay numbers (a missing value,
// NaN, becomes -infinity so it sorts first and keeps the order strict), texts compare
// without case. Proxies call sortKeyLess() and never parse display text.
QVariant sortKey(double value);
bool sortKeyLess(const QVariant& left, const QVariant& right);

} // namespace aimload
