#pragma once

#include "agent/requestrecord.h"

#include <QSortFilterProxyModel>

#include <optional>

namespace aimload {

class RequestTableModel;

// Filters a RequestTableModel by group, model, outcome and text, and sorts it by the
// source's SortRole with a strict less-than. Unsorted, it keeps the source's newest-first
// order. Every filter is off when empty; all set filters must match.
class RequestFilterModel : public QSortFilterProxyModel
{
    Q_OBJECT

public:
    explicit RequestFilterModel(QObject* parent = nullptr);

    void setSourceModel(QAbstractItemModel* model) override;

    // row is a row of this proxy; the source must be a RequestTableModel.
    const RequestRecord& rowAt(int row) const;

    QString groupFilter() const { return m_group; }
    void setGroupFilter(const QString& group);
    std::optional<Model> modelFilter() const { return m_model; }
    void setModelFilter(std::optional<aimload::Model> model);
    std::optional<Outcome> outcomeFilter() const { return m_outcome; }
    void setOutcomeFilter(std::optional<aimload::Outcome> outcome);
    // Only failed requests (see isFailure()); combines with the outcome filter.
    bool failuresOnly() const { return m_failuresOnly; }
    void setFailuresOnly(bool failuresOnly);
    // Case-insensitive, over group, prompt description, message, error, detail and trace id.
    QString textFilter() const { return m_text; }
    void setTextFilter(const QString& text);

Q_SIGNALS:
    void filtersChanged();

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override;

private:
    void filtersEdited();

    const RequestTableModel* m_requests = nullptr;
    QString m_group;
    std::optional<Model> m_model;
    std::optional<Outcome> m_outcome;
    bool m_failuresOnly = false;
    QString m_text;
};

} // namespace aimload
