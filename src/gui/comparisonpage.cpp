#include "comparisonpage.h"
#include "ui_comparisonpage.h"

#include "models/abcomparisonmodel.h"
#include "models/displayformat.h"

#include <QEvent>
#include <QHeaderView>
#include <QLabel>
#include <QStyledItemDelegate>

using namespace Qt::StringLiterals;

namespace aimload {

struct ComparisonPage::SummaryRow
{
    int aColumn = -1;
    int bColumn = -1;
    int deltaColumn = -1; // -1 when the metric has no difference column
    QLabel* title = nullptr;
    QLabel* a = nullptr;
    QLabel* b = nullptr;
    QLabel* delta = nullptr;
};

namespace {

constexpr double ValueScale = 1.8;
constexpr double TableScale = 1.2;

// Bold overall row, and a tinted background behind the better value of each pair, which
// reads from further away than a coloured digit alone.
class ComparisonDelegate : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;

protected:
    void initStyleOption(QStyleOptionViewItem* option, const QModelIndex& index) const override
    {
        QStyledItemDelegate::initStyleOption(option, index);
        if (index.data(AbComparisonModel::OverallRole).toBool())
            option->font.setBold(true);
        if (!index.data(Qt::ForegroundRole).isValid())
            return;
        QColor tint = DisplayFormat::color(DisplayFormat::Tone::Good);
        tint.setAlphaF(0.16f);
        option->backgroundBrush = tint;
    }
};

QFont scaled(QFont font, double factor, bool bold)
{
    font.setPointSizeF(font.pointSizeF() * factor);
    font.setBold(bold);
    return font;
}

} // namespace

ComparisonPage::ComparisonPage(QWidget* parent)
    : QWidget(parent)
    , m_ui(std::make_unique<Ui::ComparisonPage>())
{
    m_ui->setupUi(this);
    m_ui->comparisonView->setItemDelegate(new ComparisonDelegate(m_ui->comparisonView));
    setupSummary();
    applyFonts();
    refreshSummary();
}

ComparisonPage::~ComparisonPage() = default;

void ComparisonPage::setupSummary()
{
    auto* grid = m_ui->summaryGrid;
    const QStringList headers {QString(), tr("Model A"), tr("Model B"), tr("B − A")};
    for (int column = 0; column < headers.size(); ++column) {
        auto* label = new QLabel(headers.at(column), m_ui->summaryFrame);
        label->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
        grid->addWidget(label, 0, column);
        m_headers.append(label);
    }

    using M = AbComparisonModel;
    const struct
    {
        QString title;
        int a, b, delta;
    } metrics[] = {
        {tr("Requests"), M::ARequests, M::BRequests, -1},
        {tr("Success"), M::ASuccess, M::BSuccess, M::SuccessDelta},
        {tr("Median latency"), M::AMedian, M::BMedian, M::MedianDelta},
        {tr("95th percentile"), M::AP95, M::BP95, M::P95Delta},
        {tr("Tool calls per request"), M::AToolCalls, M::BToolCalls, -1},
    };
    int gridRow = 1;
    for (const auto& metric : metrics) {
        SummaryRow row {metric.a, metric.b, metric.delta};
        row.title = new QLabel(metric.title, m_ui->summaryFrame);
        row.a = new QLabel(m_ui->summaryFrame);
        row.b = new QLabel(m_ui->summaryFrame);
        row.delta = new QLabel(m_ui->summaryFrame);
        grid->addWidget(row.title, gridRow, 0);
        for (auto [label, column] : {std::pair {row.a, 1}, {row.b, 2}, {row.delta, 3}}) {
            label->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
            label->setTextInteractionFlags(Qt::TextSelectableByMouse);
            grid->addWidget(label, gridRow, column);
        }
        m_rows.append(row);
        ++gridRow;
    }
    grid->setColumnStretch(4, 1);
}

void ComparisonPage::applyFonts()
{
    const QFont base = font();
    for (QLabel* header : std::as_const(m_headers))
        header->setFont(scaled(base, 1.3, true));
    for (const SummaryRow& row : std::as_const(m_rows)) {
        row.title->setFont(scaled(base, 1.3, false));
        row.delta->setFont(scaled(base, 1.4, false));
    }
    m_ui->headlineLabel->setFont(scaled(base, 1.5, true));
    m_ui->comparisonView->setFont(scaled(base, TableScale, false));
    const int rowHeight = QFontMetrics(m_ui->comparisonView->font()).height() + 10;
    m_ui->comparisonView->verticalHeader()->setDefaultSectionSize(rowHeight);
}

void ComparisonPage::setModel(AbComparisonModel* comparison)
{
    m_comparison = comparison;
    m_ui->comparisonView->setModel(comparison);
    QHeaderView* header = m_ui->comparisonView->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::ResizeToContents);
    header->setSectionResizeMode(AbComparisonModel::Group, QHeaderView::Stretch);
    connect(comparison, &QAbstractItemModel::dataChanged, this, &ComparisonPage::refreshSummary);
    connect(comparison, &QAbstractItemModel::rowsInserted, this, &ComparisonPage::refreshSummary);
    connect(comparison, &QAbstractItemModel::rowsRemoved, this, &ComparisonPage::refreshSummary);
    connect(comparison, &QAbstractItemModel::modelReset, this, &ComparisonPage::refreshSummary);
    refreshSummary();
}

QString ComparisonPage::headline() const
{
    return m_ui->headlineLabel->text();
}

void ComparisonPage::refreshSummary()
{
    const int overall = m_comparison ? m_comparison->rowCount() - 1 : -1;
    const bool empty = overall < 0
        || m_comparison->rowAt(overall).a.requests + m_comparison->rowAt(overall).b.requests == 0;
    const QFont valueFont = scaled(font(), ValueScale, false);
    const QFont winnerFont = scaled(font(), ValueScale, true);
    const QColor good = DisplayFormat::color(DisplayFormat::Tone::Good);

    for (const SummaryRow& row : std::as_const(m_rows)) {
        const auto show = [this, overall, empty, &valueFont, &winnerFont, &good](
                              QLabel* label, int column, std::optional<Model> model) {
            const QModelIndex index = empty ? QModelIndex() : m_comparison->index(overall, column);
            label->setText(index.isValid() ? index.data().toString() : u"—"_s);
            const std::optional<Model> better
                = index.isValid() ? m_comparison->betterModel(overall, column) : std::nullopt;
            const bool winner = model && better == model;
            label->setFont(winner ? winnerFont : valueFont);
            QPalette colours = palette();
            if (winner)
                colours.setColor(QPalette::WindowText, good);
            label->setPalette(colours);
            label->setToolTip(index.isValid() ? index.data(Qt::ToolTipRole).toString() : QString());
        };
        show(row.a, row.aColumn, Model::A);
        show(row.b, row.bColumn, Model::B);
        if (row.deltaColumn >= 0)
            show(row.delta, row.deltaColumn, std::nullopt);
        else
            row.delta->clear();
    }

    if (empty) {
        m_ui->headlineLabel->setText(tr("No finished requests yet. Start a run, and Model A and "
                                        "Model B appear side by side here."));
        return;
    }
    QStringList verdicts;
    for (const int column : {AbComparisonModel::BSuccess, AbComparisonModel::BMedian}) {
        const QString tip = m_comparison->index(overall, column).data(Qt::ToolTipRole).toString();
        if (!tip.isEmpty())
            verdicts.append(tip);
    }
    m_ui->headlineLabel->setText(tr("Overall: %1.").arg(verdicts.join(u"; "_s)));
}

void ComparisonPage::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::FontChange) {
        applyFonts();
        refreshSummary();
    } else if (event->type() == QEvent::PaletteChange) {
        refreshSummary();
    }
}

} // namespace aimload
