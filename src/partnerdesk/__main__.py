from partnerdesk.cli import main

main()
