#include "failurespage.h"
#include "ui_failurespage.h"

#include "models/displayformat.h"
#include "models/failuresmodel.h"
#include "models/sortkey.h"

#include <QHeaderView>
#include <QSortFilterProxyModel>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

class SortKeyProxy : public QSortFilterProxyModel
{
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;

protected:
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override
    {
        return sortKeyLess(left.data(FailuresModel::SortRole), right.data(FailuresModel::SortRole));
    }
};

} // namespace

FailuresPage::FailuresPage(QWidget* parent)
    : QWidget(parent)
    , m_ui(std::make_unique<Ui::FailuresPage>())
    , m_sorted(new SortKeyProxy(this))
{
    m_ui->setupUi(this);
    m_ui->splitter->setStretchFactor(0, 3);
    m_ui->splitter->setStretchFactor(1, 1);
    m_ui->failuresView->setModel(m_sorted);
    m_ui->failuresView->sortByColumn(-1, Qt::AscendingOrder);
    connect(m_ui->failuresView->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
        &FailuresPage::showCurrent);
    connect(m_sorted, &QAbstractItemModel::dataChanged, this, &FailuresPage::showCurrent);
    connect(m_sorted, &QAbstractItemModel::rowsInserted, this, &FailuresPage::updateSummary);
    connect(m_sorted, &QAbstractItemModel::dataChanged, this, &FailuresPage::updateSummary);
    connect(m_sorted, &QAbstractItemModel::modelReset, this, &FailuresPage::updateSummary);
    updateSummary();
}

FailuresPage::~FailuresPage() = default;

void FailuresPage::setModel(FailuresModel* failures)
{
    m_failures = failures;
    m_sorted->setSourceModel(failures);
    QHeaderView* header = m_ui->failuresView->horizontalHeader();
    // One row per kind of fault: few enough rows to fit every column to its contents.
    header->setSectionResizeMode(QHeaderView::ResizeToContents);
    header->setSectionResizeMode(FailuresModel::Message, QHeaderView::Stretch);
    updateSummary();
}

void FailuresPage::showCurrent()
{
    const QModelIndex current = m_ui->failuresView->currentIndex();
    if (!current.isValid() || !m_failures) {
        m_ui->errorView->clear();
        return;
    }
    const FailuresModel::Failure& failure = m_failures->rowAt(m_sorted->mapToSource(current).row());
    const QString text = tr("%1 · %2 · seen %n time(s), last at %3", nullptr, int(failure.count))
                             .arg(failure.group, modelLabel(failure.model),
                                 DisplayFormat::fullTime(failure.lastSeen))
        + u"\n\n"_s + failure.lastError;
    if (m_ui->errorView->toPlainText() != text)
        m_ui->errorView->setPlainText(text);
}

void FailuresPage::updateSummary()
{
    const qint64 total = m_failures ? m_failures->totalFailures() : 0;
    const int kinds = m_failures ? m_failures->rowCount() : 0;
    m_ui->summaryLabel->setText(total == 0 ? tr("No failed requests.")
                                           : tr("%n failed request(s)", nullptr, int(total))
                + u" "_s + tr("in %n kind(s) of fault.", nullptr, kinds));
}

QByteArray FailuresPage::saveHeaderState() const
{
    return m_ui->failuresView->horizontalHeader()->saveState();
}

void FailuresPage::restoreHeaderState(const QByteArray& state)
{
    if (!state.isEmpty())
        m_ui->failuresView->horizontalHeader()->restoreState(state);
}

} // namespace aimload
