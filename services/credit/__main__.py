from services.credit.main import main

main()
