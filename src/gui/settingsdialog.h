#pragma once

#include "config/options.h"

#include <QDialog>

#include <memory>
#include <optional>

namespace Ui {
class SettingsDialog;
}

namespace aimload {

class AppSettings;
class PromptPool;

// Edits the stored settings. It shows the values in effect, including those this launch's
// command line set, and stores only what the user changed. Every value is checked by the
// same rules as the command line; Save refuses invalid input with the reason and stores
// nothing.
class SettingsDialog : public QDialog
{
    Q_OBJECT

public:
    explicit SettingsDialog(AppSettings* settings, QWidget* parent = nullptr);
    ~SettingsDialog() override;

    // A run is going: saving restarts it, and the dialog says so.
    void setRunActive(bool active);
    // Options that this launch's command line, environment or --config file set: the
    // dialog shows their values, and stores them only if the user changes them.
    void setOverridden(const QStringList& names, const Options& launch);

    // The option names (LaunchOptions::settingNames() spelling) the last Save changed.
    QStringList changedOptions() const { return m_changed; }
    QString problem() const;

    void accept() override;

private:
    struct Values;

    static Values storedValues(const AppSettings& settings);
    void showValues(const Values& values);
    void updateAgentFields();
    void browsePrompts();
    void useBuiltInPrompts();
    void showPool();
    void showProblem(const QString& problem, QWidget* field);
    std::optional<Values> validate();
    void save(const Values& values);

    std::unique_ptr<Ui::SettingsDialog> m_ui;
    AppSettings* m_settings = nullptr;
    std::unique_ptr<Values> m_initial; // as shown when the dialog opened
    QStringList m_changed;
    QString m_shownPoolPath;
};

} // namespace aimload
