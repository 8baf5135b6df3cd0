#include "requestspage.h"
#include "ui_requestspage.h"

#include "models/displayformat.h"
#include "models/requestfiltermodel.h"
#include "models/requesttablemodel.h"
#include "requestdetail.h"

#include <QHeaderView>
#include <QScrollBar>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

// Outcome combo entries beyond "all" and "failures only".
constexpr Outcome FilterableOutcomes[]
    = {Outcome::Ok, Outcome::HttpError, Outcome::Timeout, Outcome::ConnectionError,
        Outcome::InvalidResponse, Outcome::AgentFailure, Outcome::Cancelled, Outcome::Pending};

enum OutcomeChoice
{
    AllOutcomes = -1,
    FailuresOnly = -2,
};

} // namespace

RequestsPage::RequestsPage(QWidget* parent)
    : QWidget(parent)
    , m_ui(std::make_unique<Ui::RequestsPage>())
    , m_filter(new RequestFilterModel(this))
{
    m_ui->setupUi(this);
    m_ui->splitter->setStretchFactor(0, 3);
    m_ui->splitter->setStretchFactor(1, 2);
    m_ui->requestsView->setModel(m_filter);
    m_ui->requestsView->sortByColumn(-1, Qt::AscendingOrder);
    m_ui->requestsView->horizontalHeader()->setSectionsMovable(true);
    m_ui->requestsView->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 6);
    setupFilters();

    connect(m_ui->requestsView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
        &RequestsPage::showCurrent);
    connect(m_filter, &QAbstractItemModel::dataChanged, this, &RequestsPage::onDataChanged);
    connect(m_filter, &QAbstractItemModel::rowsInserted, this, &RequestsPage::updateCount);
    connect(m_filter, &QAbstractItemModel::rowsRemoved, this, &RequestsPage::updateCount);
    connect(m_filter, &QAbstractItemModel::modelReset, this, &RequestsPage::updateCount);
    connect(m_filter, &RequestFilterModel::filtersChanged, this, &RequestsPage::updateCount);
    updateCount();
}

RequestsPage::~RequestsPage() = default;

void RequestsPage::setupFilters()
{
    m_ui->groupCombo->addItem(tr("All groups"));
    m_ui->modelCombo->addItem(tr("Both models"));
    m_ui->modelCombo->addItem(modelLabel(Model::A), int(Model::A));
    m_ui->modelCombo->addItem(modelLabel(Model::B), int(Model::B));
    m_ui->outcomeCombo->addItem(tr("All outcomes"), int(AllOutcomes));
    m_ui->outcomeCombo->addItem(tr("Failures only"), int(FailuresOnly));
    for (const Outcome outcome : FilterableOutcomes)
        m_ui->outcomeCombo->addItem(DisplayFormat::outcome(outcome), int(outcome));

    connect(
        m_ui->groupCombo, &QComboBox::currentIndexChanged, this, &RequestsPage::applyGroupFilter);
    connect(
        m_ui->modelCombo, &QComboBox::currentIndexChanged, this, &RequestsPage::applyModelFilter);
    connect(m_ui->outcomeCombo, &QComboBox::currentIndexChanged, this,
        &RequestsPage::applyOutcomeFilter);
    connect(
        m_ui->searchEdit, &QLineEdit::textChanged, m_filter, &RequestFilterModel::setTextFilter);
}

void RequestsPage::setModel(RequestTableModel* requests)
{
    m_requests = requests;
    m_filter->setSourceModel(requests);
    QHeaderView* header = m_ui->requestsView->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::Interactive);
    // Widths for typical contents: measuring every row would cost too much on a live table.
    const QFontMetrics metrics = m_ui->requestsView->fontMetrics();
    const auto fit = [header, &metrics](int column, const QString& sample) {
        const QString title = header->model()->headerData(column, Qt::Horizontal).toString();
        const int width = std::max(metrics.horizontalAdvance(sample),
            metrics.horizontalAdvance(title) + metrics.averageCharWidth() * 2);
        header->resizeSection(column, width + metrics.averageCharWidth() * 2);
    };
    fit(RequestTableModel::Time, u"00:00:00"_s);
    fit(RequestTableModel::Cycle, u"00000"_s);
    fit(RequestTableModel::Group, u"error_scenarios"_s);
    fit(RequestTableModel::Prompt, u"Prioritising several failing services"_s);
    fit(RequestTableModel::Model, u"B"_s);
    fit(RequestTableModel::Endpoint, u"/repair · minimal_single_tool"_s);
    fit(RequestTableModel::Outcome, u"connection error"_s);
    fit(RequestTableModel::Status, u"000"_s);
    fit(RequestTableModel::Latency, u"000.0 s"_s);
    fit(RequestTableModel::AgentLatency, u"000.0 s"_s);
    fit(RequestTableModel::ToolCalls, u"0"_s);
    fit(RequestTableModel::Size, u"000.0 KB"_s);
    fit(RequestTableModel::TraceId, u"0123456789abcdef0123456789abcdef"_s);
    updateCount();
}

void RequestsPage::setBodySource(BodySource source)
{
    m_bodySource = std::move(source);
}

void RequestsPage::setAgentUrlSource(AgentUrlSource source)
{
    m_agentUrl = std::move(source);
}

void RequestsPage::setGroups(const QStringList& groups)
{
    const QString current = m_filter->groupFilter();
    const QSignalBlocker blocker(m_ui->groupCombo);
    while (m_ui->groupCombo->count() > 1)
        m_ui->groupCombo->removeItem(1);
    for (const QString& group : groups)
        m_ui->groupCombo->addItem(group, group);
    const int index = m_ui->groupCombo->findData(current);
    m_ui->groupCombo->setCurrentIndex(std::max(index, 0));
    applyGroupFilter();
}

void RequestsPage::applyGroupFilter()
{
    m_filter->setGroupFilter(m_ui->groupCombo->currentData().toString());
}

void RequestsPage::applyModelFilter()
{
    const QVariant data = m_ui->modelCombo->currentData();
    m_filter->setModelFilter(data.isValid() ? std::optional(Model(data.toInt())) : std::nullopt);
}

void RequestsPage::applyOutcomeFilter()
{
    const int choice = m_ui->outcomeCombo->currentData().toInt();
    m_filter->setFailuresOnly(choice == FailuresOnly);
    m_filter->setOutcomeFilter(choice >= 0 ? std::optional(Outcome(choice)) : std::nullopt);
}

void RequestsPage::showCurrent()
{
    const QModelIndex current = m_ui->requestsView->currentIndex();
    if (!current.isValid() || !m_requests) {
        m_ui->detailView->clear();
        return;
    }
    const QModelIndex source = m_filter->mapToSource(current);
    RequestRecord record = m_requests->rowAt(source.row());
    const QUrl agentUrl = m_agentUrl ? m_agentUrl(record) : QUrl();
    RequestDetail::Body body = RequestDetail::Body::Kept;
    if (!m_requests->isBodyAvailable(source.row())) {
        const std::optional<QByteArray> stored
            = m_bodySource && record.finished() ? m_bodySource(record) : std::nullopt;
        body = stored ? RequestDetail::Body::FromJournal : RequestDetail::Body::Dropped;
        record.body = stored.value_or(QByteArray());
    }
    // The same request shown again (it just finished) keeps its place in the pane.
    const bool same = record.id == m_shownId && record.startedAt == m_shownStart;
    const int scroll = same ? m_ui->detailView->verticalScrollBar()->value() : 0;
    m_ui->detailView->setHtml(RequestDetail::html(record, agentUrl, body));
    m_ui->detailView->verticalScrollBar()->setValue(scroll);
    m_shownId = record.id;
    m_shownStart = record.startedAt;
}

void RequestsPage::onDataChanged(const QModelIndex& topLeft, const QModelIndex& bottomRight)
{
    const int row = m_ui->requestsView->currentIndex().row();
    // Only the outcome column means the selected request finished; latency ticks do not.
    if (row >= topLeft.row() && row <= bottomRight.row()
        && topLeft.column() <= RequestTableModel::Outcome
        && bottomRight.column() >= RequestTableModel::Outcome)
        showCurrent();
}

void RequestsPage::updateCount()
{
    const int shown = m_filter->rowCount();
    const int total = m_requests ? m_requests->rowCount() : 0;
    m_ui->countLabel->setText(shown == total
            ? tr("%n request(s)", nullptr, total)
            : tr("%1 of %n request(s)", nullptr, total).arg(shown));
}

QString RequestsPage::detailText() const
{
    return m_ui->detailView->toPlainText();
}

void RequestsPage::selectRow(int row)
{
    m_ui->requestsView->selectRow(row);
}

QByteArray RequestsPage::saveSplitterState() const
{
    return m_ui->splitter->saveState();
}

void RequestsPage::restoreSplitterState(const QByteArray& state)
{
    if (!state.isEmpty())
        m_ui->splitter->restoreState(state);
}

QByteArray RequestsPage::saveHeaderState() const
{
    return m_ui->requestsView->horizontalHeader()->saveState();
}

void RequestsPage::restoreHeaderState(const QByteArray& state)
{
    if (!state.isEmpty())
        m_ui->requestsView->horizontalHeader()->restoreState(state);
}

} // namespace aimload
