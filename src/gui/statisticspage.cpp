#include "statisticspage.h"
#include "ui_statisticspage.h"

#include "models/sortkey.h"
#include "models/statstablemodel.h"

#include <QAction>
#include <QClipboard>
#include <QGuiApplication>
#include <QHeaderView>
#include <QSortFilterProxyModel>

namespace aimload {

namespace {

// Sorts the group rows by the model's SortRole and keeps the per-model totals and the
// aggregated row at the bottom in either direction, as Locust does.
class TotalsLastProxy : public QSortFilterProxyModel
{
public:
    using QSortFilterProxyModel::QSortFilterProxyModel;

protected:
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override
    {
        const int leftKind = left.data(StatsTableModel::RowKindRole).toInt();
        const int rightKind = right.data(StatsTableModel::RowKindRole).toInt();
        if (leftKind != rightKind) {
            const bool ascending = sortOrder() == Qt::AscendingOrder;
            return ascending ? leftKind < rightKind : leftKind > rightKind;
        }
        return sortKeyLess(
            left.data(StatsTableModel::SortRole), right.data(StatsTableModel::SortRole));
    }
};

} // namespace

StatisticsPage::StatisticsPage(QWidget* parent)
    : QWidget(parent)
    , m_ui(std::make_unique<Ui::StatisticsPage>())
    , m_sorted(new TotalsLastProxy(this))
{
    m_ui->setupUi(this);
    m_ui->statsView->setModel(m_sorted);
    m_ui->statsView->sortByColumn(-1, Qt::AscendingOrder);

    auto* copy = new QAction(tr("Copy Table"), this);
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    addAction(copy);
    connect(copy, &QAction::triggered, this, &StatisticsPage::copyTable);
    connect(m_ui->copyButton, &QPushButton::clicked, this, &StatisticsPage::copyTable);
}

StatisticsPage::~StatisticsPage() = default;

void StatisticsPage::setModel(StatsTableModel* stats)
{
    m_stats = stats;
    m_sorted->setSourceModel(stats);
    m_ui->statsView->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_ui->statsView->horizontalHeader()->setSectionResizeMode(
        StatsTableModel::Group, QHeaderView::Stretch);
}

void StatisticsPage::copyTable()
{
    if (m_stats)
        QGuiApplication::clipboard()->setText(m_stats->copyText());
}

QByteArray StatisticsPage::saveHeaderState() const
{
    return m_ui->statsView->horizontalHeader()->saveState();
}

void StatisticsPage::restoreHeaderState(const QByteArray& state)
{
    if (!state.isEmpty())
        m_ui->statsView->horizontalHeader()->restoreState(state);
}

} // namespace aimload
