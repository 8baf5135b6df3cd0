#pragma once

#include "config/options.h"

#include <QProcessEnvironment>
#include <QSet>
#include <QStringList>

namespace aimload {

class AppSettings;

// The options of one window launch. The stored settings are the defaults; whatever the
// command line, the environment or a --config file gave explicitly wins for this launch,
// until the user changes that setting in the settings dialog.
class LaunchOptions
{
public:
    LaunchOptions() = default; // nothing given explicitly

    // parsed is OptionsParser's successful result for the same arguments and environment.
    static LaunchOptions fromCommandLine(const QStringList& arguments,
        const QProcessEnvironment& environment, const Options& parsed);

    // The option names the settings dialog covers, as the command line spells them.
    static QStringList settingNames();

    Options resolve(const AppSettings& settings) const;

    // Names from settingNames() given explicitly for this launch, in that order.
    QStringList overridden() const;
    bool isOverridden(const QString& name) const { return m_explicit.contains(name); }
    // The user chose a stored value for this option: it no longer comes from the launch.
    void release(const QString& name);

    const Options& options() const { return m_options; }

private:
    Options m_options;
    QSet<QString> m_explicit;
};

} // namespace aimload
