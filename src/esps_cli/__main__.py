from esps_cli.cli import main

main()
