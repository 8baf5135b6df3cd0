#pragma once

#include "agent/requestrecord.h"

#include <QUrl>
#include <QWidget>

#include <functional>
#include <memory>
#include <optional>

namespace Ui {
class RequestsPage;
}

namespace aimload {

class RequestFilterModel;
class RequestTableModel;

// Every request, newest first, with filters and a detail pane for the selected one.
class RequestsPage : public QWidget
{
    Q_OBJECT

public:
    // The base URL a request was sent to, which the record itself does not hold.
    using AgentUrlSource = std::function<QUrl(const RequestRecord&)>;
    // The answer of a request whose body the table no longer holds, if stored elsewhere.
    using BodySource = std::function<std::optional<QByteArray>(const RequestRecord&)>;

    explicit RequestsPage(QWidget* parent = nullptr);
    ~RequestsPage() override;

    void setModel(RequestTableModel* requests);
    void setAgentUrlSource(AgentUrlSource source);
    void setBodySource(BodySource source);
    void setGroups(const QStringList& groups);

    RequestFilterModel* filterModel() const { return m_filter; }
    QString detailText() const;
    void selectRow(int row);

    QByteArray saveSplitterState() const;
    void restoreSplitterState(const QByteArray& state);
    QByteArray saveHeaderState() const;
    void restoreHeaderState(const QByteArray& state);

private:
    void setupFilters();
    void applyGroupFilter();
    void applyModelFilter();
    void applyOutcomeFilter();
    void showCurrent();
    void onDataChanged(const QModelIndex& topLeft, const QModelIndex& bottomRight);
    void updateCount();

    std::unique_ptr<Ui::RequestsPage> m_ui;
    RequestTableModel* m_requests = nullptr;
    RequestFilterModel* m_filter = nullptr;
    AgentUrlSource m_agentUrl;
    BodySource m_bodySource;
    quint64 m_shownId = 0;
    QDateTime m_shownStart;
};

} // namespace aimload
