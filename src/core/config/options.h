#pragma once

#include <QProcessEnvironment>
#include <QSet>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <chrono>
#include <optional>

namespace aimload {

enum class AbOrder
{
    Sequential,
    Parallel
};

struct Options
{
    bool headless = false;
    QUrl host = QUrl(QStringLiteral("http://ai-agent:8001"));
    bool hostGiven = false;
    QString promptsFile;
    std::optional<quint64> seed;
    std::chrono::milliseconds pacing {std::chrono::seconds(720)};
    AbOrder abOrder = AbOrder::Sequential;
    std::chrono::milliseconds chatTimeout {std::chrono::seconds(660)};
    std::chrono::milliseconds repairTimeout {std::chrono::seconds(660)};
    bool waitHealthy = true;
    bool traceContext = true;
    int users = 1;
    double spawnRate = 1.0;
    std::optional<std::chrono::milliseconds> runTime;
    std::optional<int> cycles;
    bool simulate = false;
    double simSpeed = 1.0;
    double simFailureRate = 0.03;
    int exitCodeOnError = 0;
    QString dbPath; // empty: the default for the mode (see LoadSession::defaultDbPath)
    bool useDb = true;
    bool fresh = false;
    std::optional<int> webPort; // the status endpoint is off without it
    QString webHost = QStringLiteral("127.0.0.1");
    QString webToken;
    QString csvPrefix;
    QString htmlFile;
    QString jsonFile;
    QString configFile;
};

// Reads options from defaults, then a --config file (key = value), then the
// environment (AI_AGENT_URL and AIMLOAD_<OPTION>), then the command line.
class OptionsParser
{
public:
    enum class Action
    {
        Run,
        Help,
        Version,
        Error
    };

    struct Result
    {
        Action action = Action::Run;
        Options options;
        QString error; // one line: which option, what was wrong, the accepted form
        QSet<QString> setInConfigFile; // the options the --config file has a line for
    };

    static Result parse(const QStringList& arguments, const QProcessEnvironment& environment);
    static QString helpText();
};

} // namespace aimload
