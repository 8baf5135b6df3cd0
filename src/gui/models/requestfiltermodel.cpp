#include "requestfiltermodel.h"

#include "requesttablemodel.h"
#include "sortkey.h"

namespace aimload {

namespace {

bool matchesText(const RequestRecord& record, const QString& text)
{
    for (const QString* field : {&record.group, &record.description, &record.message, &record.error,
             &record.detail, &record.traceId}) {
        if (field->contains(text, Qt::CaseInsensitive))
            return true;
    }
    return false;
}

} // namespace

RequestFilterModel::RequestFilterModel(QObject* parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(RequestTableModel::SortRole);
    setDynamicSortFilter(true);
}

void RequestFilterModel::setSourceModel(QAbstractItemModel* model)
{
    m_requests = qobject_cast<const RequestTableModel*>(model);
    QSortFilterProxyModel::setSourceModel(model);
}

const RequestRecord& RequestFilterModel::rowAt(int row) const
{
    Q_ASSERT(m_requests);
    return m_requests->rowAt(mapToSource(index(row, 0)).row());
}

void RequestFilterModel::setGroupFilter(const QString& group)
{
    if (group == m_group)
        return;
    m_group = group;
    filtersEdited();
}

void RequestFilterModel::setModelFilter(std::optional<Model> model)
{
    if (model == m_model)
        return;
    m_model = model;
    filtersEdited();
}

void RequestFilterModel::setOutcomeFilter(std::optional<Outcome> outcome)
{
    if (outcome == m_outcome)
        return;
    m_outcome = outcome;
    filtersEdited();
}

void RequestFilterModel::setFailuresOnly(bool failuresOnly)
{
    if (failuresOnly == m_failuresOnly)
        return;
    m_failuresOnly = failuresOnly;
    filtersEdited();
}

void RequestFilterModel::setTextFilter(const QString& text)
{
    const QString trimmed = text.trimmed();
    if (trimmed == m_text)
        return;
    m_text = trimmed;
    filtersEdited();
}

void RequestFilterModel::filtersEdited()
{
    invalidateFilter();
    Q_EMIT filtersChanged();
}

bool RequestFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const
{
    if (!m_requests || sourceParent.isValid())
        return true;
    const RequestRecord& record = m_requests->rowAt(sourceRow);

    if (!m_group.isEmpty() && record.group != m_group)
        return false;
    if (m_model && record.model != *m_model)
        return false;
    if (m_outcome && record.outcome != *m_outcome)
        return false;
    if (m_failuresOnly && !isFailure(record.outcome))
        return false;
    return m_text.isEmpty() || matchesText(record, m_text);
}

bool RequestFilterModel::lessThan(const QModelIndex& left, const QModelIndex& right) const
{
    return sortKeyLess(left.data(sortRole()), right.data(sortRole()));
}

} // namespace aimload
