from augury.cli.app import main

main()
