from services.monitor.main import main

main()
