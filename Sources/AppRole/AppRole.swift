// AppRole: the AppRole auth method lands here.
