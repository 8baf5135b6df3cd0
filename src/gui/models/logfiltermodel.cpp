#include "logfiltermodel.h"

#include "logmodel.h"
#include "sortkey.h"

namespace aimload {

LogFilterModel::LogFilterModel(QObject* parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(LogModel::SortRole);
    setDynamicSortFilter(true);
}

void LogFilterModel::setMinimumLevel(EventLog::Level level)
{
    if (level == m_minimumLevel)
        return;
    m_minimumLevel = level;
    invalidateFilter();
}

void LogFilterModel::setTextFilter(const QString& text)
{
    const QString trimmed = text.trimmed();
    if (trimmed == m_text)
        return;
    m_text = trimmed;
    invalidateFilter();
}

bool LogFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    const QAbstractItemModel* source = sourceModel();
    const QModelIndex levelIndex = source->index(sourceRow, LogModel::Level, sourceParent);
    if (levelIndex.data(LogModel::LevelRole).toInt() < int(m_minimumLevel))
        return false;
    if (m_text.isEmpty())
        return true;
    const QModelIndex textIndex = source->index(sourceRow, LogModel::Text, sourceParent);
    return textIndex.data(Qt::DisplayRole).toString().contains(m_text, Qt::CaseInsensitive);
}

bool LogFilterModel::lessThan(const QModelIndex& left, const QModelIndex& right) const
{
    return sortKeyLess(left.data(sortRole()), right.data(sortRole()));
}

} // namespace aimload
