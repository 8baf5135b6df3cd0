#pragma once

#include <QWidget>

#include <map>
#include <memory>

class QAction;
class QFrame;
class QLabel;
class QTimer;
class QToolButton;
class QVBoxLayout;

namespace aimload {

// Inline messages above the pages for problems that need no answer: the agent is down,
// a setting is unusable, a trigger was refused. One line per topic, newest text wins.
class BannerBar : public QWidget
{
    Q_OBJECT

public:
    enum class Topic
    {
        Agent,
        Settings,
        Session,
        Trigger,
    };
    enum class Level
    {
        Info,
        Warning,
        Error
    };

    explicit BannerBar(QWidget* parent = nullptr);
    ~BannerBar() override;

    // action, when given, becomes a button on the line; timeoutMs > 0 hides it by itself.
    void showMessage(Topic topic, Level level, const QString& text, QAction* action = nullptr,
        int timeoutMs = 0);
    void clearMessage(Topic topic);
    bool hasMessage(Topic topic) const;
    QString message(Topic topic) const;

protected:
    void changeEvent(QEvent* event) override;

private:
    struct Line;

    Line& line(Topic topic);
    const Line* find(Topic topic) const;
    void restyle(Line& line);

    QVBoxLayout* m_layout = nullptr;
    std::map<Topic, std::unique_ptr<Line>> m_lines;
};

} // namespace aimload
