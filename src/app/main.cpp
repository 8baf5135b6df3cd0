#include "appsettings.h"
#include "config/options.h"
#include "headless/headlessrunner.h"
#include "icons.h"
#include "launchoptions.h"
#include "mainwindow.h"
#include "runcontroller.h"

#include <QApplication>
#include <QCoreApplication>
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

// The stored settings are the window's defaults; what the command line, the environment
// or --config gave explicitly wins for this launch.
int runWindow(int& argc, char** argv, const QStringList& arguments,
    const QProcessEnvironment& environment, const aimload::Options& options)
{
    QApplication app(argc, argv);
    describeApplication();
    QGuiApplication::setDesktopFileName(u"org.aimload.aimload"_s);
    QApplication::setWindowIcon(aimload::Icons::application());

    aimload::AppSettings settings;
    aimload::MainWindow window(
        &settings, aimload::LaunchOptions::fromCommandLine(arguments, environment, options));
    window.show();
    // Traffic flows from launch, as in headless mode: the presenter only has to watch.
    if (window.run()->canStart())
        window.run()->start();
    return app.exec();
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
    return runWindow(argc, argv, arguments, environment, parsed.options);
}
