#pragma once

#include "headless/eventlog.h"

#include <QSortFilterProxyModel>

namespace aimload {

// Shows the lines of a LogModel at or above a level, optionally containing a text
// (case-insensitive). Sorts by the source's SortRole with a strict less-than.
class LogFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT

public:
    explicit LogFilterModel(QObject* parent = nullptr);

    EventLog::Level minimumLevel() const { return m_minimumLevel; }
    void setMinimumLevel(aimload::EventLog::Level level);
    QString textFilter() const { return m_text; }
    void setTextFilter(const QString& text);

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;

private:
    EventLog::Level m_minimumLevel = EventLog::Level::Debug;
    QString m_text;
};

} // namespace aimload
