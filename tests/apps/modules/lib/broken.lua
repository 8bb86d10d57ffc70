error("this library fails to load")
