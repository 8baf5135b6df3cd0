#pragma once

#include <QWidget>

#include <memory>

class QSortFilterProxyModel;

namespace Ui {
class StatisticsPage;
}

namespace aimload {

class StatsTableModel;

// Locust's statistics table per group and model, sortable, with the totals kept last.
class StatisticsPage : public QWidget
{
    Q_OBJECT

public:
    explicit StatisticsPage(QWidget* parent = nullptr);
    ~StatisticsPage() override;

    void setModel(StatsTableModel* stats);
    void copyTable();

    QByteArray saveHeaderState() const;
    void restoreHeaderState(const QByteArray& state);

private:
    std::unique_ptr<Ui::StatisticsPage> m_ui;
    StatsTableModel* m_stats = nullptr;
    QSortFilterProxyModel* m_sorted = nullptr;
};

} // namespace aimload
