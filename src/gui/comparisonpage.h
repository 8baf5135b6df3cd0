#pragma once

#include <QWidget>

#include <memory>

class QLabel;

namespace Ui {
class ComparisonPage;
}

namespace aimload {

class AbComparisonModel;

// Model A beside Model B: the overall numbers large enough to read across a room, a
// one-line verdict, and the same per group below. The better value of each pair is
// coloured.
class ComparisonPage : public QWidget
{
    Q_OBJECT

public:
    explicit ComparisonPage(QWidget* parent = nullptr);
    ~ComparisonPage() override;

    void setModel(AbComparisonModel* comparison);
    QString headline() const;

protected:
    void changeEvent(QEvent* event) override;

private:
    struct SummaryRow;

    void setupSummary();
    void refreshSummary();
    void applyFonts();

    std::unique_ptr<Ui::ComparisonPage> m_ui;
    AbComparisonModel* m_comparison = nullptr;
    QList<SummaryRow> m_rows;
    QList<QLabel*> m_headers;
};

} // namespace aimload
