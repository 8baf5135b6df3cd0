#include "config/options.h"
#include "headless/headlessrunner.h"
#include "windowmodule.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QLibrary>
#include <QProcessEnvironment>

#include <cstdio>

using namespace Qt::StringLiterals;

namespace {

QStringList rawArguments(int argc, char** argv)
{
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));
    return arguments;
}

void printError(const QString& text)
{
    std::fprintf(stderr, "aimload: %s\n", qPrintable(text));
}

void describeApplication()
{
    QCoreApplication::setApplicationName(u"aimload"_s);
    QCoreApplication::setApplicationVersion(QString::fromLatin1(AIMLOAD_VERSION));
}

int runHeadless(int& argc, char** argv, const aimload::Options& options)
{
    QCoreApplication app(argc, argv);
    describeApplication();

    aimload::HeadlessRunner runner(options);
    QString error;
    if (!runner.prepare(&error)) {
        printError(error);
        return 2;
    }
    QObject::connect(&runner, &aimload::HeadlessRunner::done, &app, &QCoreApplication::exit,
        Qt::QueuedConnection);
    runner.start();
    return app.exec();
}

// Without this check QApplication aborts with a platform plugin message that does not
// mention --headless.
bool displayAvailable(const QProcessEnvironment& environment)
{
#if defined(Q_OS_LINUX)
    return environment.contains(u"DISPLAY"_s) || environment.contains(u"WAYLAND_DISPLAY"_s)
        || environment.contains(u"QT_QPA_PLATFORM"_s);
#else
    Q_UNUSED(environment);
    return true;
#endif
}

// The directory of the running executable, symbolic links resolved. No application
// object exists yet, so QCoreApplication::applicationDirPath() cannot tell.
QString executableDirectory(const char* argv0)
{
    QString path = QFileInfo(u"/proc/self/exe"_s).canonicalFilePath();
    if (path.isEmpty())
        path = QFileInfo(QString::fromLocal8Bit(argv0)).canonicalFilePath();
    return path.isEmpty() ? QString() : QFileInfo(path).absolutePath();
}

// The window lives in a module of its own, so that headless mode maps no GUI library.
// It is looked for beside the executable (the build tree), then where `cmake --install`
// puts it relative to the executable.
int runWindow(int argc, char** argv)
{
    const QString directory = executableDirectory(argv[0]);
    QStringList candidates;
    if (!directory.isEmpty()) {
        const QString name = QStringLiteral(AIMLOAD_WINDOW_MODULE);
        candidates = {directory + u'/' + name,
            QDir::cleanPath(
                directory + u'/' + QStringLiteral(AIMLOAD_WINDOW_MODULE_DIR) + u'/' + name)};
    }

    QString problem;
    for (const QString& candidate : std::as_const(candidates)) {
        if (!QFileInfo(candidate).isFile())
            continue;
        QLibrary module(candidate);
        const auto run = reinterpret_cast<aimload::RunWindowFunction>(
            module.resolve(aimload::runWindowSymbol));
        if (run)
            return run(argc, argv);
        problem = module.errorString();
    }
    if (problem.isEmpty()) {
        problem = candidates.isEmpty() ? u"cannot tell where the executable is"_s
                                       : u"looked for "_s + candidates.join(u" and "_s);
    }
    printError(u"the desktop window is not installed (%1); run with --headless to send load "
               "without a window"_s.arg(problem));
    return 2;
}

} // namespace

int main(int argc, char** argv)
{
    // Options are read before any application object exists, so the headless path
    // never loads a platform plugin or needs a display.
    const QStringList arguments = rawArguments(argc, argv);
    const QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    const auto parsed = aimload::OptionsParser::parse(arguments, environment);
    switch (parsed.action) {
    case aimload::OptionsParser::Action::Help:
        std::fputs(qPrintable(aimload::OptionsParser::helpText()), stdout);
        return 0;
    case aimload::OptionsParser::Action::Version:
        std::printf("aimload %s\n", AIMLOAD_VERSION);
        return 0;
    case aimload::OptionsParser::Action::Error:
        printError(parsed.error);
        return 2;
    case aimload::OptionsParser::Action::Run:
        break;
    }

    if (parsed.options.headless)
        return runHeadless(argc, argv, parsed.options);
    if (!displayAvailable(environment)) {
        printError(u"no display to open the window on (neither DISPLAY nor WAYLAND_DISPLAY is "
                   "set); run with --headless to send load without a window"_s);
        return 2;
    }
    return runWindow(argc, argv);
}
