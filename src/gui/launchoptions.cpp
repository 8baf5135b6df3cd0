#include "launchoptions.h"

#include "appsettings.h"

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

bool givenOnCommandLine(const QStringList& arguments, const QString& name)
{
    const QString flag = u"--"_s + name;
    for (qsizetype i = 1; i < arguments.size(); ++i) {
        const QString& argument = arguments.at(i);
        if (argument == flag || argument.startsWith(flag + u'='))
            return true;
    }
    return false;
}

bool givenInEnvironment(const QProcessEnvironment& environment, const QString& name)
{
    if (name == u"host" && environment.contains(u"AI_AGENT_URL"_s))
        return true;
    return environment.contains(u"AIMLOAD_"_s + name.toUpper().replace(u'-', u'_'));
}

// The options the config file has a line for, whatever their values.
QSet<QString> setInConfigFile(const QString& configFile)
{
    if (configFile.isEmpty())
        return {};
    const auto parsed
        = OptionsParser::parse({u"aimload"_s, u"--config"_s, configFile}, QProcessEnvironment());
    if (parsed.action != OptionsParser::Action::Run)
        return {};
    return parsed.setInConfigFile;
}

} // namespace

LaunchOptions LaunchOptions::fromCommandLine(
    const QStringList& arguments, const QProcessEnvironment& environment, const Options& parsed)
{
    LaunchOptions launch;
    launch.m_options = parsed;
    const QSet<QString> fromFile = setInConfigFile(parsed.configFile);
    for (const QString& name : settingNames()) {
        if (givenOnCommandLine(arguments, name) || givenInEnvironment(environment, name)
            || fromFile.contains(name))
            launch.m_explicit.insert(name);
    }
    // The agent is one choice: a URL given for this launch means "not the simulator",
    // and --simulate means "not the stored URL".
    if (launch.m_explicit.contains(u"host"_s) || launch.m_explicit.contains(u"simulate"_s))
        launch.m_explicit.unite({u"host"_s, u"simulate"_s});
    return launch;
}

QStringList LaunchOptions::settingNames()
{
    return {u"host"_s, u"simulate"_s, u"sim-speed"_s, u"pacing"_s, u"ab"_s, u"chat-timeout"_s,
        u"repair-timeout"_s, u"prompts"_s, u"users"_s};
}

Options LaunchOptions::resolve(const AppSettings& settings) const
{
    Options options = m_options;
    const auto stored = [this](const QString& name) {
        return !m_explicit.contains(name);
    };
    if (stored(u"host"_s)) {
        options.host = settings.agentUrl();
        options.simulate = settings.useSimulator();
    }
    if (stored(u"sim-speed"_s))
        options.simSpeed = settings.simulatorSpeed();
    if (stored(u"pacing"_s))
        options.pacing = settings.pacing();
    if (stored(u"ab"_s))
        options.abOrder = settings.abOrder();
    if (stored(u"chat-timeout"_s))
        options.chatTimeout = settings.chatTimeout();
    if (stored(u"repair-timeout"_s))
        options.repairTimeout = settings.repairTimeout();
    if (stored(u"prompts"_s))
        options.promptsFile = settings.promptsFile();
    if (stored(u"users"_s))
        options.users = settings.users();
    return options;
}

QStringList LaunchOptions::overridden() const
{
    QStringList names;
    for (const QString& name : settingNames()) {
        if (m_explicit.contains(name))
            names.append(name);
    }
    return names;
}

void LaunchOptions::release(const QString& name)
{
    if (name == u"host" || name == u"simulate") {
        m_explicit.remove(u"host"_s);
        m_explicit.remove(u"simulate"_s);
        return;
    }
    m_explicit.remove(name);
}

} // namespace aimload
