#include "sortkey.h"

#include <QString>

#include <cmath>
#include <limits>

namespace aimload {

namespace {

bool isIntegral(const QVariant& value)
{
    switch (value.typeId()) {
    case QMetaType::Int:
    case QMetaType::UInt:
    case QMetaType::Long:
    case QMetaType::LongLong:
    case QMetaType::Bool:
        return true;
    default:
        return false;
    }
}

bool isNumber(const QVariant& value)
{
    return isIntegral(value) || value.typeId() == QMetaType::Double
        || value.typeId() == QMetaType::ULongLong || value.typeId() == QMetaType::Float;
}

} // namespace

QVariant sortKey(double value)
{
    return std::isnan(value) ? -std::numeric_limits<double>::infinity() : value;
}

bool sortKeyLess(const QVariant& left, const QVariant& right)
{
    if (isIntegral(left) && isIntegral(right))
        return left.toLongLong() < right.toLongLong();
    if (left.typeId() == QMetaType::ULongLong && right.typeId() == QMetaType::ULongLong)
        return left.toULongLong() < right.toULongLong();
    if (isNumber(left) && isNumber(right))
        return left.toDouble() < right.toDouble();
    // A number sorts before a text, so a column mixing both still has one strict order.
    if (isNumber(left) != isNumber(right))
        return isNumber(left);
    return QString::compare(left.toString(), right.toString(), Qt::CaseInsensitive) < 0;
}

} // namespace aimload
