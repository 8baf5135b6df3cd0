#include "logpage.h"
#include "ui_logpage.h"

#include "models/displayformat.h"
#include "models/logfiltermodel.h"
#include "models/logmodel.h"

#include <QHeaderView>
#include <QScrollBar>

namespace aimload {

LogPage::LogPage(QWidget* parent)
    : QWidget(parent)
    , m_ui(std::make_unique<Ui::LogPage>())
    , m_filter(new LogFilterModel(this))
{
    m_ui->setupUi(this);
    for (const EventLog::Level level : {EventLog::Level::Debug, EventLog::Level::Info,
             EventLog::Level::Warning, EventLog::Level::Error})
        m_ui->levelCombo->addItem(DisplayFormat::level(level), int(level));
    m_ui->levelCombo->setCurrentIndex(1);
    m_ui->logView->setModel(m_filter);
    m_ui->logView->verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 4);
    applyLevel();

    connect(m_ui->levelCombo, &QComboBox::currentIndexChanged, this, &LogPage::applyLevel);
    connect(m_ui->searchEdit, &QLineEdit::textChanged, m_filter, &LogFilterModel::setTextFilter);
    connect(m_filter, &QAbstractItemModel::rowsInserted, this, &LogPage::followNewest);
    connect(m_ui->followCheck, &QCheckBox::toggled, this, &LogPage::followNewest);
}

LogPage::~LogPage() = default;

void LogPage::setModel(LogModel* log)
{
    m_filter->setSourceModel(log);
    QHeaderView* header = m_ui->logView->horizontalHeader();
    header->setSectionResizeMode(LogModel::Time, QHeaderView::ResizeToContents);
    header->setSectionResizeMode(LogModel::Level, QHeaderView::ResizeToContents);
}

void LogPage::applyLevel()
{
    m_filter->setMinimumLevel(EventLog::Level(m_ui->levelCombo->currentData().toInt()));
}

void LogPage::followNewest()
{
    if (m_ui->followCheck->isChecked())
        m_ui->logView->scrollToBottom();
}

QByteArray LogPage::saveHeaderState() const
{
    return m_ui->logView->horizontalHeader()->saveState();
}

void LogPage::restoreHeaderState(const QByteArray& state)
{
    if (!state.isEmpty())
        m_ui->logView->horizontalHeader()->restoreState(state);
}

} // namespace aimload
