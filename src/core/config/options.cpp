#include "config/options.h"

#include "config/duration.h"

#include <QFile>
#include <QHostAddress>
#include <QRegularExpression>
#include <QTextStream>

#include <functional>
#include <limits>

using namespace Qt::StringLiterals;

namespace aimload {

namespace {

using Setter = std::function<QString(Options&, const QString&)>;

struct OptionSpec
{
    QString name;
    QString valueName; // empty for a flag
    QString help;
    Setter set;
    bool secret = false; // never echoed in an error
};

const QString DurationForm
    = u"a positive duration: seconds (720, 12.5) or with units such as 500ms, 90s, 12m, 1h30m, 2d"_s;

QString setDuration(std::chrono::milliseconds& target, const QString& value)
{
    const auto duration = parseDuration(value);
    if (!duration || duration->count() <= 0)
        return DurationForm;
    target = *duration;
    return {};
}

QString setPath(QString& target, const QString& value, const QString& form)
{
    if (value.trimmed().isEmpty())
        return form;
    target = value;
    return {};
}

QString setInt(int& target, const QString& value, int low, int high)
{
    bool ok = false;
    const int number = value.trimmed().toInt(&ok);
    if (!ok || number < low || number > high)
        return u"a whole number from %1 to %2"_s.arg(low).arg(high);
    target = number;
    return {};
}

QString plain(double number)
{
    return QString::number(number, 'g', 15);
}

QString setDouble(double& target, const QString& value, double low, double high, bool openLow)
{
    bool ok = false;
    const double number = value.trimmed().toDouble(&ok);
    if (!ok || !std::isfinite(number) || number > high || number < low
        || (openLow && number == low))
        return openLow ? u"a number greater than %1 and at most %2"_s.arg(plain(low), plain(high))
                       : u"a number from %1 to %2"_s.arg(plain(low), plain(high));
    target = number;
    return {};
}

std::optional<bool> readBool(const QString& value)
{
    const QString v = value.trimmed().toLower();
    if (v == u"1" || v == u"true" || v == u"yes" || v == u"on")
        return true;
    if (v == u"0" || v == u"false" || v == u"no" || v == u"off")
        return false;
    return std::nullopt;
}

// A flag's setter gets "1" when the flag is given (or set true from the environment or a
// config file) and "0" when set false there.
Setter flag(bool Options::*member, bool valueWhenGiven)
{
    return [member, valueWhenGiven](Options& options, const QString& value) {
        options.*member = value == u"1" ? valueWhenGiven : !valueWhenGiven;
        return QString();
    };
}

QString setHost(Options& options, const QString& value)
{
    const QUrl url(value.trimmed(), QUrl::StrictMode);
    const QString scheme = url.scheme();
    if (!url.isValid() || (scheme != u"http" && scheme != u"https") || url.host().isEmpty()
        || url.hasQuery() || url.hasFragment() || !url.userInfo().isEmpty())
        return u"an http:// or https:// URL such as http://ai-agent:8001"_s;
    options.host = url;
    options.hostGiven = true;
    return {};
}

QList<OptionSpec> optionSpecs()
{
    using std::chrono::milliseconds;
    return {
        {u"headless"_s, {}, u"Run without a window; log to stdout."_s,
            flag(&Options::headless, true)},
        {u"host"_s, u"URL"_s,
            u"The agent's base URL (default http://ai-agent:8001, or AI_AGENT_URL)."_s, setHost},
        {u"prompts"_s, u"FILE"_s, u"Load the prompt pool from FILE instead of the built-in one."_s,
            [](Options& o, const QString& v) {
                if (v.trimmed().isEmpty())
                    return u"a path to a prompt pool JSON file"_s;
                o.promptsFile = v;
                return QString();
            }},
        {u"seed"_s, u"N"_s, u"Seed the prompt choice so the sequence repeats."_s,
            [](Options& o, const QString& v) {
                bool ok = false;
                const quint64 seed = v.trimmed().toULongLong(&ok);
                if (!ok)
                    return u"a whole number from 0 to 18446744073709551615"_s;
                o.seed = seed;
                return QString();
            }},
        {u"pacing"_s, u"DURATION"_s, u"Time between the starts of a user's cycles (default 12m)."_s,
            [](Options& o, const QString& v) {
                return setDuration(o.pacing, v);
            }},
        {u"ab"_s, u"ORDER"_s,
            u"sequential: Model A, then Model B (default); parallel: both at once."_s,
            [](Options& o, const QString& v) {
                const QString order = v.trimmed().toLower();
                if (order != u"sequential" && order != u"parallel")
                    return u"sequential or parallel"_s;
                o.abOrder = order == u"parallel" ? AbOrder::Parallel : AbOrder::Sequential;
                return QString();
            }},
        {u"chat-timeout"_s, u"DURATION"_s, u"Deadline of a /chat request (default 11m)."_s,
            [](Options& o, const QString& v) {
                return setDuration(o.chatTimeout, v);
            }},
        {u"repair-timeout"_s, u"DURATION"_s, u"Deadline of a /repair request (default 11m)."_s,
            [](Options& o, const QString& v) {
                return setDuration(o.repairTimeout, v);
            }},
        {u"no-wait-healthy"_s, {}, u"Start the first cycle without waiting for GET /health."_s,
            flag(&Options::waitHealthy, false)},
        {u"no-trace-context"_s, {},
            u"Send no W3C traceparent header (default: one trace per cycle)."_s,
            flag(&Options::traceContext, false)},
        {u"users"_s, u"N"_s, u"Independent users, each on its own pacing grid (default 1)."_s,
            [](Options& o, const QString& v) {
                return setInt(o.users, v, 1, 10000);
            }},
        {u"spawn-rate"_s, u"R"_s, u"Users started per second (default 1)."_s,
            [](Options& o, const QString& v) {
                return setDouble(o.spawnRate, v, 0.0, 10000.0, true);
            }},
        {u"run-time"_s, u"DURATION"_s, u"Stop after this long (default: run until stopped)."_s,
            [](Options& o, const QString& v) {
                milliseconds runTime {};
                const QString error = setDuration(runTime, v);
                if (error.isEmpty())
                    o.runTime = runTime;
                return error;
            }},
        {u"cycles"_s, u"N"_s, u"Stop after N cycles per user (default: no limit)."_s,
            [](Options& o, const QString& v) {
                int cycles = 0;
                const QString error = setInt(cycles, v, 1, std::numeric_limits<int>::max());
                if (error.isEmpty())
                    o.cycles = cycles;
                return error;
            }},
        {u"simulate"_s, {}, u"Start the built-in simulated agent on 127.0.0.1 and use it."_s,
            flag(&Options::simulate, true)},
        {u"sim-speed"_s, u"X"_s, u"Divide the simulated agent's delays by X (default 1)."_s,
            [](Options& o, const QString& v) {
                return setDouble(o.simSpeed, v, 0.0, 1e6, true);
            }},
        {u"sim-failure-rate"_s, u"P"_s,
            u"Share of simulated answers that fail, 0 to 1 (default 0.03)."_s,
            [](Options& o, const QString& v) {
                return setDouble(o.simFailureRate, v, 0.0, 1.0, false);
            }},
        {u"db"_s, u"PATH"_s,
            u"Journal every request in this SQLite file (default: /var/lib/aimload/aimload.db "
            "headless, the user's data folder with a window)."_s,
            [](Options& o, const QString& v) {
                if (v.trimmed().isEmpty())
                    return u"a path to an SQLite file"_s;
                o.dbPath = v;
                return QString();
            }},
        {u"no-db"_s, {}, u"Keep the run in memory only; write no journal."_s,
            flag(&Options::useDb, false)},
        {u"fresh"_s, {}, u"Start a new run in the journal instead of continuing the last one."_s,
            flag(&Options::fresh, true)},
        {u"web-port"_s, u"PORT"_s,
            u"Serve the status page, /api/*, /metrics and /healthz on PORT (0: any free "
            "port; default: off; LOCUST_WEB_PORT also sets it)."_s,
            [](Options& o, const QString& v) {
                int port = 0;
                const QString error = setInt(port, v, 0, 65535);
                if (error.isEmpty())
                    o.webPort = port;
                return error;
            }},
        {u"web-host"_s, u"ADDRESS"_s,
            u"Address the status endpoint listens on (default 127.0.0.1)."_s,
            [](Options& o, const QString& v) {
                const QString text = v.trimmed();
                if (QHostAddress(text).isNull() && text != u"localhost")
                    return u"an IP address such as 127.0.0.1, 0.0.0.0 or ::"_s;
                o.webHost = text;
                return QString();
            }},
        {u"web-token"_s, u"TOKEN"_s,
            u"Allow POST /api/start, /api/stop and /api/trigger with this bearer token "
            "(prefer AIMLOAD_WEB_TOKEN: the command line is visible to other users)."_s,
            [](Options& o, const QString& v) {
                if (v.trimmed().size() < 8)
                    return u"a token of at least 8 characters"_s;
                o.webToken = v.trimmed();
                return QString();
            },
            true},
        {u"csv"_s, u"PREFIX"_s,
            u"At the end, write Locust-style PREFIX_stats.csv, PREFIX_failures.csv, "
            "PREFIX_stats_history.csv and PREFIX_requests.csv."_s,
            [](Options& o, const QString& v) {
                return setPath(o.csvPrefix, v, u"a file name prefix"_s);
            }},
        {u"html"_s, u"FILE"_s, u"At the end, write a self-contained HTML report to FILE."_s,
            [](Options& o, const QString& v) {
                return setPath(o.htmlFile, v, u"a file path"_s);
            }},
        {u"json"_s, u"FILE"_s, u"At the end, write the final statistics as JSON to FILE."_s,
            [](Options& o, const QString& v) {
                return setPath(o.jsonFile, v, u"a file path"_s);
            }},
        {u"exit-code-on-error"_s, u"N"_s, u"Exit with N when any request failed (default 0)."_s,
            [](Options& o, const QString& v) {
                return setInt(o.exitCodeOnError, v, 0, 255);
            }},
    };
}

struct Source
{
    QString label; // "AIMLOAD_PACING", "aimload.conf line 3", or empty for the command line
};

class Parser
{
public:
    Parser()
        : m_specs(optionSpecs())
    { }

    const OptionSpec* find(const QString& name) const
    {
        for (const OptionSpec& spec : m_specs) {
            if (spec.name == name)
                return &spec;
        }
        return nullptr;
    }

    QString closest(const QString& name) const
    {
        QString best;
        qsizetype bestDistance = 3;
        for (const OptionSpec& spec : m_specs) {
            const qsizetype distance = editDistance(name, spec.name);
            if (distance < bestDistance) {
                bestDistance = distance;
                best = spec.name;
            }
        }
        return best;
    }

    // Flags accept a boolean value from the environment and config files.
    QString apply(Options& options, const OptionSpec& spec, const QString& value,
        const Source& source, bool valueIsText) const
    {
        QString problem;
        if (spec.valueName.isEmpty() && valueIsText) {
            const std::optional<bool> on = readBool(value);
            if (!on)
                problem = u"true or false"_s;
            else
                problem = spec.set(options, *on ? u"1"_s : u"0"_s);
        } else {
            problem = spec.set(options, spec.valueName.isEmpty() ? u"1"_s : value);
        }
        if (problem.isEmpty())
            return {};
        const QString origin
            = source.label.isEmpty() ? QString() : u" (from %1)"_s.arg(source.label);
        const QString shown = spec.secret ? u"(hidden)"_s : u"'%1'"_s.arg(value);
        return u"--%1 %2%3: expected %4"_s.arg(spec.name, shown, origin, problem);
    }

    const QList<OptionSpec>& specs() const { return m_specs; }

private:
    static qsizetype editDistance(const QString& a, const QString& b)
    {
        QList<qsizetype> row(b.size() + 1);
        for (qsizetype j = 0; j <= b.size(); ++j)
            row[j] = j;
        for (qsizetype i = 1; i <= a.size(); ++i) {
            qsizetype diagonal = row[0];
            row[0] = i;
            for (qsizetype j = 1; j <= b.size(); ++j) {
                const qsizetype above = row[j];
                row[j] = std::min(
                    {row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
                diagonal = above;
            }
        }
        return row[b.size()];
    }

    QList<OptionSpec> m_specs;
};

QString unknownOption(const Parser& parser, const QString& name, const QString& where)
{
    const QString suggestion = parser.closest(name);
    return u"unknown option '--%1'%2; %3"_s.arg(name, where,
        suggestion.isEmpty() ? u"run aimload --help for the accepted options"_s
                             : u"did you mean --%1?"_s.arg(suggestion));
}

QString applyConfigFile(const Parser& parser, const QString& path, const Source& source,
    Options& options, QSet<QString>& names)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text)) {
        const QString origin
            = source.label.isEmpty() ? QString() : u" (from %1)"_s.arg(source.label);
        return u"--config '%1'%2: cannot read the file: %3"_s.arg(path, origin, file.errorString());
    }

    QTextStream stream(&file);
    int lineNumber = 0;
    while (!stream.atEnd()) {
        const QString line = stream.readLine().trimmed();
        ++lineNumber;
        if (line.isEmpty() || line.startsWith(u'#') || line.startsWith(u';'))
            continue;
        const qsizetype equals = line.indexOf(u'=');
        const QString where = u"%1 line %2"_s.arg(path).arg(lineNumber);
        if (equals < 0)
            return u"%1: expected 'key = value', got '%2'"_s.arg(where, line);

        QString key = line.left(equals).trimmed().replace(u'_', u'-').toLower();
        if (key.startsWith(u"--"))
            key = key.mid(2);
        QString value = line.mid(equals + 1).trimmed();
        // A comment may follow an unquoted value after white space: "pacing = 12m  # slow".
        static const QRegularExpression trailingComment(u"\\s+#.*$"_s);
        if (!value.startsWith(u'"'))
            value.remove(trailingComment);
        if (value.size() >= 2 && value.startsWith(u'"') && value.endsWith(u'"'))
            value = value.mid(1, value.size() - 2);
        const OptionSpec* spec = parser.find(key);
        if (!spec || key == u"config")
            return unknownOption(parser, key, u" in "_s + where);
        const QString error = parser.apply(options, *spec, value, {where}, true);
        if (!error.isEmpty())
            return error;
        names.insert(spec->name);
    }
    return {};
}

QString applyEnvironment(
    const Parser& parser, const QProcessEnvironment& environment, Options& options)
{
    // The Locust tool's variables, so a compose file written for it keeps working.
    const struct
    {
        QString variable;
        QString option;
    } aliases[] = {{u"AI_AGENT_URL"_s, u"host"_s}, {u"LOCUST_WEB_PORT"_s, u"web-port"_s}};
    for (const auto& alias : aliases) {
        if (!environment.contains(alias.variable))
            continue;
        const QString error = parser.apply(options, *parser.find(alias.option),
            environment.value(alias.variable), {alias.variable}, true);
        if (!error.isEmpty())
            return error;
    }
    for (const OptionSpec& spec : parser.specs()) {
        const QString variable = u"AIMLOAD_"_s + spec.name.toUpper().replace(u'-', u'_');
        if (!environment.contains(variable))
            continue;
        const QString error
            = parser.apply(options, spec, environment.value(variable), {variable}, true);
        if (!error.isEmpty())
            return error;
    }
    return {};
}

struct CommandLineItem
{
    const OptionSpec* spec = nullptr;
    QString value;
};

} // namespace

OptionsParser::Result OptionsParser::parse(
    const QStringList& arguments, const QProcessEnvironment& environment)
{
    const Parser parser;
    Result result;
    const auto fail = [&result](const QString& error) {
        result.action = Action::Error;
        // A value with a line break would otherwise split the one-line message.
        result.error = QString(error).replace(u'\r', u"\\r"_s).replace(u'\n', u"\\n"_s);
        return result;
    };

    // The command line is read first so that --config is known, then applied last.
    QList<CommandLineItem> items;
    for (qsizetype i = 1; i < arguments.size(); ++i) {
        const QString& argument = arguments.at(i);
        if (argument == u"-h" || argument == u"--help")
            return result.action = Action::Help, result;
        if (argument == u"--version")
            return result.action = Action::Version, result;
        if (!argument.startsWith(u"--") || argument.size() == 2)
            return fail(
                u"unexpected argument '%1'; options start with -- (see aimload --help)"_s.arg(
                    argument));

        QString name = argument.mid(2);
        std::optional<QString> value;
        if (const qsizetype equals = name.indexOf(u'='); equals >= 0) {
            value = name.mid(equals + 1);
            name = name.left(equals);
        }
        if (name == u"config") {
            if (!value && i + 1 >= arguments.size())
                return fail(u"--config needs a value: --config FILE"_s);
            result.options.configFile = value ? *value : arguments.at(++i);
            continue;
        }
        const OptionSpec* spec = parser.find(name);
        if (!spec)
            return fail(unknownOption(parser, name, QString()));
        if (spec->valueName.isEmpty()) {
            if (value)
                return fail(u"--%1 takes no value; write --%1 alone"_s.arg(name));
            items.append({spec, QString()});
            continue;
        }
        if (!value) {
            if (i + 1 >= arguments.size())
                return fail(u"--%1 needs a value: --%1 %2"_s.arg(name, spec->valueName));
            value = arguments.at(++i);
        }
        items.append({spec, *value});
    }

    Source configSource;
    if (result.options.configFile.isEmpty()) {
        result.options.configFile = environment.value(u"AIMLOAD_CONFIG"_s);
        configSource.label = u"AIMLOAD_CONFIG"_s;
    }
    Options& options = result.options;
    if (!options.configFile.isEmpty()) {
        if (const QString error = applyConfigFile(
                parser, options.configFile, configSource, options, result.setInConfigFile);
            !error.isEmpty())
            return fail(error);
    }
    if (const QString error = applyEnvironment(parser, environment, options); !error.isEmpty())
        return fail(error);
    for (const CommandLineItem& item : std::as_const(items)) {
        if (const QString error = parser.apply(options, *item.spec, item.value, {}, false);
            !error.isEmpty())
            return fail(error);
    }
    return result;
}

QString OptionsParser::helpText()
{
    QString text = u"Usage: aimload [options]\n\n"
                   "Keeps a steady stream of weighted A/B prompts flowing into an AI agent.\n\n"
                   "Options:\n"_s;
    const Parser parser;
    const auto line = [&text](const QString& left, const QString& help) {
        text += u"  "_s + left.leftJustified(30) + u' ' + help + u'\n';
    };
    line(u"--config FILE"_s, u"Read options from FILE (key = value lines)."_s);
    for (const OptionSpec& spec : parser.specs())
        line(u"--"_s + spec.name + (spec.valueName.isEmpty() ? QString() : u' ' + spec.valueName),
            spec.help);
    line(u"--version"_s, u"Print the version and exit."_s);
    line(u"-h, --help"_s, u"Print this help and exit."_s);
    text += u"\nPrecedence: defaults < --config FILE < environment < command line.\n"
            "Environment: AI_AGENT_URL, and AIMLOAD_<OPTION> for every option\n"
            "(AIMLOAD_PACING=12m, AIMLOAD_NO_WAIT_HEALTHY=true, AIMLOAD_CONFIG=FILE).\n"_s;
    return text;
}

} // namespace aimload
