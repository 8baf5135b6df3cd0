#pragma once

#include <QWidget>

#include <memory>

namespace Ui {
class LogPage;
}

namespace aimload {

class LogFilterModel;
class LogModel;

// The event log, the same lines headless mode prints, filtered by level and text.
class LogPage : public QWidget
{
    Q_OBJECT

public:
    explicit LogPage(QWidget* parent = nullptr);
    ~LogPage() override;

    void setModel(LogModel* log);
    LogFilterModel* filterModel() const { return m_filter; }

    QByteArray saveHeaderState() const;
    void restoreHeaderState(const QByteArray& state);

private:
    void applyLevel();
    void followNewest();

    std::unique_ptr<Ui::LogPage> m_ui;
    LogFilterModel* m_filter = nullptr;
};

} // namespace aimload
