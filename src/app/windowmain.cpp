#include "windowmodule.h"

#include "appsettings.h"
#include "config/options.h"
#include "icons.h"
#include "launchoptions.h"
#include "mainwindow.h"
#include "runcontroller.h"

#include <QApplication>
#include <QProcessEnvironment>

using namespace Qt::StringLiterals;

// The stored settings are the window's defaults; what the command line, the environment
// or --config gave explicitly wins for this launch.
int aimload_run_window(int argc, char** argv)
{
    // Read before QApplication takes its own options (-platform, ...) out of argv, as
    // main() read them.
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));
    const QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    const auto parsed = aimload::OptionsParser::parse(arguments, environment);
    if (parsed.action != aimload::OptionsParser::Action::Run)
        return 2; // main() handles help, version and errors before it loads the module

    QApplication app(argc, argv);
    QCoreApplication::setApplicationName(u"aimload"_s);
    QCoreApplication::setApplicationVersion(QString::fromLatin1(AIMLOAD_VERSION));
    QGuiApplication::setDesktopFileName(u"org.aimload.aimload"_s);
    QApplication::setWindowIcon(aimload::Icons::application());

    aimload::AppSettings settings;
    aimload::MainWindow window(
        &settings, aimload::LaunchOptions::fromCommandLine(arguments, environment, parsed.options));
    window.show();
    // Traffic flows from launch, as in headless mode: the presenter only has to watch.
    if (window.run()->canStart())
        window.run()->start();
    return app.exec();
}
