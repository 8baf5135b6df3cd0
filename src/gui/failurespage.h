#pragma once

#include <QWidget>

#include <memory>

class QSortFilterProxyModel;

namespace Ui {
class FailuresPage;
}

namespace aimload {

class FailuresModel;

// Failed requests grouped into kinds of fault, with the latest error of the selected kind.
class FailuresPage : public QWidget
{
    Q_OBJECT

public:
    explicit FailuresPage(QWidget* parent = nullptr);
    ~FailuresPage() override;

    void setModel(FailuresModel* failures);

    QByteArray saveHeaderState() const;
    void restoreHeaderState(const QByteArray& state);

private:
    void showCurrent();
    void updateSummary();

    std::unique_ptr<Ui::FailuresPage> m_ui;
    FailuresModel* m_failures = nullptr;
    QSortFilterProxyModel* m_sorted = nullptr;
};

} // namespace aimload
